// API errors become Temporal failures in one place: which are retried, after how long, and which
// waits go back to the workflow.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toTemporalFailure } from '../../activities/to-temporal-failure';
import { FAILURE } from '../../lib/contracts/failure-types';
import { ApiError } from '../../activities/github/api-error';
import { ApplicationFailure } from '@temporalio/common';

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
