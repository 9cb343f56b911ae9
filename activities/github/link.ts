// Pagination follows the `Link: <…>; rel="next"` URL exactly as given (A6, A8): never built, never edited.

/** The `rel="next"` URL of a Link header, or undefined on the last page. */
export function nextPageUrl(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  for (const m of link.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
    if (rels && rels[1].split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}
