// Pagination follows the `Link: <…>; rel="next"` URL exactly as given: never built, never edited, since
// GitHub's cursors are opaque and a `?page=` URL built by hand can skip or repeat items.
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api

/** The URL a Link header gives for `rel`, or undefined. */
function linkFor(link: string | null | undefined, rel: string): string | undefined {
  if (!link) return undefined;
  for (const m of link.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
    if (rels && rels[1].split(/\s+/).includes(rel)) return m[1];
  }
  return undefined;
}

/** The `rel="next"` URL of a Link header, or undefined on the last page. */
export function nextPageUrl(link: string | null | undefined): string | undefined {
  return linkFor(link, 'next');
}

/**
 * How many pages follow this one, when the listing numbers its pages (`rel="next"` and
 * `rel="last"` carry `page=`): read only, to know how much work a job has left, never to build a
 * URL. Undefined for cursor listings, which do not say.
 */
export function pagesAfter(link: string | null | undefined): number | undefined {
  const next = linkFor(link, 'next');
  if (next === undefined) return 0;
  const page = (url: string | undefined) => {
    const v = url === undefined ? null : /[?&]page=(\d+)(?:&|$)/.exec(url)?.[1];
    return v ? Number(v) : undefined;
  };
  const [n, last] = [page(next), page(linkFor(link, 'last'))];
  return n === undefined || last === undefined || last < n ? undefined : last - n + 1;
}
