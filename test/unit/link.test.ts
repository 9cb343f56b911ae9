// Pagination follows the Link header's rel="next" URL exactly as GitHub gives it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextPageUrl, pagesAfter } from '../../activities/github/link';

describe('Link pagination', () => {
  test('takes the next URL exactly as given', () => {
    const next = 'https://api.github.com/repositories/1/issues?per_page=100&after=Y3Vyc29y%3D%3D&state=all';
    assert.equal(nextPageUrl(`<${next}>; rel="next", <https://x/last>; rel="last"`), next);
    assert.equal(nextPageUrl(`<https://x/first>; rel="first", <${next}>; rel="next"`), next);
    assert.equal(nextPageUrl('<https://x/prev>; rel="prev"'), undefined);
    assert.equal(nextPageUrl(null), undefined);
  });
});

describe('pages after this one', () => {
  const api = 'https://api.github.com/repositories/1/issues?state=all&per_page=100';
  test('a page-numbered listing says how many follow: last − next + 1', () => {
    assert.equal(pagesAfter(`<${api}&page=2>; rel="next", <${api}&page=34>; rel="last"`), 33);
    assert.equal(pagesAfter(`<${api}&page=34>; rel="next", <${api}&page=34>; rel="last"`), 1);
  });
  test('none after the last page; unknown for a cursor listing or without rel="last"', () => {
    assert.equal(pagesAfter(`<${api}&page=1>; rel="first", <${api}&page=33>; rel="prev"`), 0);
    assert.equal(pagesAfter(undefined), 0);
    assert.equal(pagesAfter(`<${api}&after=Y3Vyc29yOjEwMA>; rel="next"`), undefined);
    assert.equal(pagesAfter(`<${api}&page=2>; rel="next"`), undefined);
    assert.equal(
      pagesAfter(`<${api}&per_page=100&page=2>; rel="next", <${api}&xpage=9>; rel="last"`),
      undefined,
    );
  });
});
