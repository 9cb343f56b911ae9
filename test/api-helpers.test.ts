// API errors as Temporal failures, and the sealing of stored tokens. The client's pure helpers
// (classify, rate-limit, link, redirect) are tested in test/unit/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toTemporalFailure } from '../activities/to-temporal-failure';
import { FAILURE } from '../lib/contracts/failure-types';
import { ApiError } from '../activities/github/api-error';
import { ApplicationFailure } from '@temporalio/common';
import { createSealer, encryptionKeys } from '../lib/crypto';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
    toTemporalFailure(
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
      [0, 1, 2, 3].map((n): unknown => fail(err('server'), n).nextRetryDelay),
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
