// What an answer means (classify), against GitHub's documented statuses and rate-limit signs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../../activities/github/classify';
import { readRetryAfter } from '../../activities/github/rate-limit';

const NOW = 1_700_000_000_000;
const h = (o: Record<string, string>) => new Headers(o);
const verdict = (status: number, headers: Record<string, string> = {}, message?: string, strikes = 0) =>
  classify({ status, headers: h(headers), message }, NOW, { waitMs: 60_000, strikes });

describe('classify: what each answer means and what it gets', () => {
  test('2xx is ok, 304 not modified', () => {
    assert.equal(verdict(200).kind, 'ok');
    assert.equal(verdict(201).kind, 'ok');
    assert.equal(verdict(304).kind, 'not-modified');
  });
  test('400 and 422 are validation errors, 401 unauthorized, 404/410 not found, other 4xx client', () => {
    assert.equal(verdict(400).kind, 'validation');
    assert.equal(verdict(422).kind, 'validation');
    assert.equal(verdict(401).kind, 'unauthorized');
    assert.equal(verdict(404).kind, 'not-found');
    assert.equal(verdict(410).kind, 'not-found');
    assert.equal(verdict(409).kind, 'client');
  });
  test('5xx are server errors', () => {
    for (const s of [500, 502, 503, 504]) assert.equal(verdict(s).kind, 'server');
  });
  test('a 403 without rate-limit signs is lost access', () => {
    assert.equal(verdict(403, {}, 'Resource not accessible by integration').kind, 'forbidden');
    assert.equal(
      verdict(403, { 'x-ratelimit-remaining': '12', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': '1' })
        .kind,
      'forbidden',
    );
  });
  test('primary limit: 403 or 429 with remaining 0 waits until the reset', () => {
    const reset = String(NOW / 1000 + 30);
    for (const s of [403, 429]) {
      const v = verdict(s, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-reset': reset,
      });
      assert.deepEqual(v, { kind: 'rate-limited', waitMs: 30_250, limit: 'primary' });
    }
  });
  test('Retry-After is obeyed exactly, before anything else', () => {
    const v = verdict(403, {
      'retry-after': '7',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-limit': '1',
      'x-ratelimit-reset': '1',
    });
    assert.deepEqual(v, { kind: 'rate-limited', waitMs: 7_000, limit: 'retry-after' });
    assert.equal(readRetryAfter(h({ 'retry-after': new Date(NOW + 5_000).toUTCString() }), NOW), 5_000);
    assert.equal(readRetryAfter(h({ 'retry-after': 'soon' }), NOW), undefined);
  });
  test('a secondary limit without Retry-After waits at least the minimum, longer each time', () => {
    assert.deepEqual(verdict(403, {}, 'You have exceeded a secondary rate limit'), {
      kind: 'rate-limited',
      waitMs: 60_000,
      limit: 'secondary',
    });
    assert.deepEqual(verdict(429, {}, undefined, 2), {
      kind: 'rate-limited',
      waitMs: 240_000,
      limit: 'secondary',
    });
  });
});

describe("classify: the App's own call that issues an installation token", () => {
  const app = (status: number, headers: Record<string, string> = {}) =>
    classify({ status, headers: h(headers), message: undefined }, NOW, { waitMs: 60_000, strikes: 0 }, 'app');
  test('a refused App JWT (401) and a vanished installation (404, 410) are lost access', () => {
    assert.equal(app(401).kind, 'forbidden');
    assert.equal(app(404).kind, 'forbidden');
    assert.equal(app(410).kind, 'forbidden');
    assert.equal(app(403).kind, 'forbidden');
  });
  test('everything else means what it means for any call', () => {
    assert.equal(app(201).kind, 'ok');
    assert.equal(app(422).kind, 'validation');
    assert.equal(app(502).kind, 'server');
    assert.deepEqual(app(429, { 'retry-after': '30' }), {
      kind: 'rate-limited',
      waitMs: 30_000,
      limit: 'retry-after',
    });
  });
});
