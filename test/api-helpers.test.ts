// The API client's pure helpers, each against the rule it follows (A2, A4–A7).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../activities/github/classify';
import { nextPageUrl } from '../activities/github/link';
import {
  waitBeforeRequest,
  readRetryAfter,
  afterResponse,
  type Budget,
} from '../activities/github/rate-limit';
import { nextHop } from '../activities/github/redirect';
import { EMPTY_BUDGET } from '../lib/storage/api-state';
import { toFailure, FAILURE } from '../activities/api-failure';
import { ApiError } from '../activities/github/api-error';
import { ApplicationFailure } from '@temporalio/common';
import { createSealer, encryptionKeys } from '../lib/crypto';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NOW = 1_700_000_000_000;
const h = (o: Record<string, string>) => new Headers(o);
const verdict = (status: number, headers: Record<string, string> = {}, message?: string, strikes = 0) =>
  classify({ status, headers: h(headers), message }, NOW, { waitMs: 60_000, strikes });

describe('classify: the error classes of the table (A2)', () => {
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

describe('Link pagination (A6)', () => {
  test('takes the next URL exactly as given', () => {
    const next = 'https://api.github.com/repositories/1/issues?per_page=100&after=Y3Vyc29y%3D%3D&state=all';
    assert.equal(nextPageUrl(`<${next}>; rel="next", <https://x/last>; rel="last"`), next);
    assert.equal(nextPageUrl(`<https://x/first>; rel="first", <${next}>; rel="next"`), next);
    assert.equal(nextPageUrl('<https://x/prev>; rel="prev"'), undefined);
    assert.equal(nextPageUrl(null), undefined);
  });
});

describe('redirects (A7)', () => {
  const from = { url: new URL('https://api.github.com/repos/a/b'), method: 'POST', sendCredentials: true };
  test('307/308 keep the method and body, 301/302/303 turn into GET', () => {
    assert.equal(nextHop(from, 307, '/repositories/1')!.method, 'POST');
    assert.equal(nextHop(from, 308, '/repositories/1')!.keepBody, true);
    assert.equal(nextHop(from, 301, '/repositories/1')!.method, 'GET');
    assert.equal(nextHop(from, 303, '/x')!.keepBody, false);
    assert.equal(nextHop(from, 200, '/x'), undefined);
  });
  test('credentials stay with their host, and once dropped stay dropped', () => {
    const same = nextHop(from, 302, '/repositories/1')!;
    assert.equal(same.sendCredentials, true);
    const other = nextHop(from, 302, 'https://codeload.example.com/x')!;
    assert.equal(other.sendCredentials, false);
    assert.equal(
      nextHop({ ...other, method: 'GET' }, 302, 'https://api.github.com/back')!.sendCredentials,
      false,
    );
    assert.equal(nextHop(from, 302, 'http://api.github.com/downgrade')!.sendCredentials, false);
  });
});

describe('pacing against the shared budget (A4, A5)', () => {
  const policy = { mutationSpacingMs: 1_000, contentPerMinute: 2, contentPerHour: 3, reservePercent: 10 };
  const budget = (b: Partial<Budget>): Budget => ({ ...EMPTY_BUDGET, ...b });
  const get = { mutating: false, createsContent: false };
  test('runs freely while more than half the budget remains', () => {
    assert.equal(
      waitBeforeRequest(
        budget({ limit: 100, remaining: 60, resetAt: NOW + 10_000, lastRequestAt: NOW }),
        get,
        NOW,
        policy,
      ).ms,
      0,
    );
  });
  test('then spreads what remains above the reserve evenly until the reset', () => {
    const w = waitBeforeRequest(
      budget({ limit: 100, remaining: 30, resetAt: NOW + 10_000, lastRequestAt: NOW }),
      get,
      NOW,
      policy,
    );
    assert.deepEqual(w, { ms: 500, reason: 'primary-pacing' }); // 10 s over 20 usable requests
  });
  test('waits for the reset when only the reserve is left, and not once the reset passed', () => {
    const b = budget({ limit: 100, remaining: 10, resetAt: NOW + 10_000, lastRequestAt: NOW });
    assert.deepEqual(waitBeforeRequest(b, get, NOW, policy), { ms: 10_250, reason: 'primary-exhausted' });
    assert.equal(waitBeforeRequest(b, get, NOW + 10_001, policy).ms, 0);
  });
  test('mutations keep their spacing; content creation its pace per minute and hour', () => {
    const b = budget({ lastMutationAt: NOW - 400 });
    assert.deepEqual(waitBeforeRequest(b, { mutating: true, createsContent: false }, NOW, policy), {
      ms: 600,
      reason: 'mutation-spacing',
    });
    assert.equal(waitBeforeRequest(b, get, NOW, policy).ms, 0);
    const made = budget({ contentCreated: [NOW - 50_000, NOW - 10_000] });
    assert.deepEqual(waitBeforeRequest(made, { mutating: true, createsContent: true }, NOW, policy), {
      ms: 10_000,
      reason: 'content-pacing',
    });
    const hour = budget({ contentCreated: [NOW - 3_000_000, NOW - 2_000_000, NOW - 1_000_000] });
    assert.equal(waitBeforeRequest(hour, { mutating: true, createsContent: true }, NOW, policy).ms, 600_000);
  });
  test('a block (Retry-After, secondary limit) holds every request', () => {
    assert.deepEqual(waitBeforeRequest(budget({ blockedUntil: NOW + 3_000 }), get, NOW, policy), {
      ms: 3_000,
      reason: 'blocked',
    });
  });
  test('a response updates the budget from its headers', () => {
    const next = afterResponse(EMPTY_BUDGET, {
      at: NOW,
      rateLimit: { limit: 5000, remaining: 4999, used: 1, resetAt: NOW + 1000, resource: 'core' },
      mutating: true,
      createsContent: true,
      counted: true,
    });
    assert.equal(next.remaining, 4999);
    assert.equal(next.lastMutationAt, NOW);
    assert.deepEqual(next.contentCreated, [NOW]);
  });
});

describe('API errors become Temporal failures in one place', () => {
  const policy = { backoffBaseMs: 1_000, retryWaitMs: 60_000 };
  const err = (kind: ApiError['kind'], waitMs?: number) =>
    new ApiError(kind, {
      method: 'GET',
      route: '/repos/{owner}/{repo}/issues',
      status: 500,
      installation: '7',
      waitMs,
    });
  const fail = (e: ApiError, serverErrorsBefore = 0) =>
    toFailure(
      e,
      policy,
      () => serverErrorsBefore,
      () => undefined,
    ) as ApplicationFailure;
  test('client errors are not retried', () => {
    assert.equal(fail(err('validation')).nonRetryable, true);
    assert.equal(fail(err('validation')).type, FAILURE.validation);
    assert.equal(fail(err('forbidden')).type, FAILURE.accessLost);
    assert.match(fail(err('unauthorized')).message, /installation 7 lost access/);
  });
  test('5xx and network errors back off 1, 2, 4, 8 s, then the call fails', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => fail(err('server'), n).nextRetryDelay),
      [1_000, 2_000, 4_000, 8_000],
    );
    const last = fail(err('server'), 4);
    assert.equal(last.nonRetryable, true);
    assert.match(last.message, /gave up after 4 retries/);
    assert.equal(fail(err('network')).nonRetryable, false);
  });
  test('short rate-limit waits are benign retries with a server-side delay; long ones go to the workflow', () => {
    const short = fail(err('rate-limited', 5_000));
    assert.equal(short.type, FAILURE.rateLimited);
    assert.equal(short.nextRetryDelay, 5_000);
    assert.equal(short.category, 'BENIGN');
    const long = fail(err('rate-limited', 3_600_000));
    assert.equal(long.type, FAILURE.rateLimitWait);
    assert.equal(long.nonRetryable, true);
    assert.deepEqual(long.details, [{ waitMs: 3_600_000, limit: undefined }]);
  });
});

test('sealed values open with any listed key and name the key that sealed them', () => {
  const a = Buffer.alloc(32, 1);
  const b = Buffer.alloc(32, 2);
  const sealed = createSealer([a]).seal('ghs_secret');
  assert.doesNotMatch(sealed, /ghs_secret/);
  assert.equal(createSealer([b, a]).open(sealed), 'ghs_secret');
  assert.throws(() => createSealer([b]).open(sealed), /not among HOOKFLOW_ENCRYPTION_KEY/);
});

test('the embedded default makes its own key in the data folder, private, and keeps it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-key-'));
  const [key] = encryptionKeys([], dir);
  assert.equal(key.length, 32);
  assert.equal(statSync(path.join(dir, 'encryption.key')).mode & 0o777, 0o600);
  assert.deepEqual(encryptionKeys([], dir), [key]);
  const configured = [Buffer.alloc(32, 9)];
  assert.equal(encryptionKeys(configured, dir), configured);
});
