// ApiError: the message a person reads, and the underlying error kept as `cause`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, answerError } from '../../activities/github/api-error';

const call = { method: 'GET', route: '/repos/{owner}/{repo}/issues', status: undefined, installation: '7' };

test('the underlying error survives as the cause', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const err = new ApiError('network', { ...call, providerMessage: 'ECONNREFUSED' }, { cause: refused });
  assert.equal(err.cause, refused);
  assert.equal(err.message, 'GET /repos/{owner}/{repo}/issues did not get an answer: ECONNREFUSED');
  assert.equal(new ApiError('server', { ...call, status: 502 }).cause, undefined);
});

test("a rate-limited answer's error names its limit and wait", () => {
  const err = answerError(
    { kind: 'rate-limited', waitMs: 30_000, limit: 'retry-after' },
    { ...call, status: 429 },
  );
  assert.equal(err.kind, 'rate-limited');
  assert.deepEqual([err.details.waitMs, err.details.limit], [30_000, 'retry-after']);
  assert.match(err.message, /rate limited \(retry-after\) on GET .*: waiting 30000 ms/);
});
