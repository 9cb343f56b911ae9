// Pagination follows the `Link: <…>; rel="next"` URL exactly as given: never built, never edited, since
// GitHub's cursors are opaque and a `?page=` URL built by hand can skip or repeat items.
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api

/** The `rel="next"` URL of a Link header, or undefined on the last page. */
export function nextPageUrl(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  for (const m of link.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
    if (rels && rels[1].split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}
