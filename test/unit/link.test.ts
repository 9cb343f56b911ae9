// Pagination follows the Link header's rel="next" URL exactly as GitHub gives it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextPageUrl } from '../../activities/github/link';

describe('Link pagination', () => {
  test('takes the next URL exactly as given', () => {
    const next = 'https://api.github.com/repositories/1/issues?per_page=100&after=Y3Vyc29y%3D%3D&state=all';
    assert.equal(nextPageUrl(`<${next}>; rel="next", <https://x/last>; rel="last"`), next);
    assert.equal(nextPageUrl(`<https://x/first>; rel="first", <${next}>; rel="next"`), next);
    assert.equal(nextPageUrl('<https://x/prev>; rel="prev"'), undefined);
    assert.equal(nextPageUrl(null), undefined);
  });
});
