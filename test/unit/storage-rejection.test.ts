// Which storage errors fail an activity at once: SQLSTATE classes 22 and 23, which a retry would only
// repeat; never connection loss, serialization failures or deadlocks, which a retry may cure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError } from 'pg';
import { storageRejection } from '../../lib/storage/storage-rejection';
import { FAILURE } from '../../lib/contracts/failure-types';
import { withoutHopelessRetries } from '../../worker/activity-interceptor';

function pgError(code: string, message = `error ${code}`): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

describe('storageRejection', () => {
  test('data exceptions and integrity constraint violations are rejections', () => {
    for (const code of ['22021', '22P05', '22001', '22P02', '23505', '23503', '23502', '23514']) {
      assert.deepEqual(storageRejection(pgError(code, 'nope')), { sqlState: code, message: 'nope' }, code);
    }
  });

  test('errors a retry may cure are not', () => {
    // serialization failure, deadlock, connection exceptions, too many connections, admin shutdown,
    // cannot connect now, query canceled, and the network errors of the driver itself.
    for (const code of ['40001', '40P01', '08006', '08001', '53300', '57P01', '57P03', '57014', '42P01']) {
      assert.equal(storageRejection(pgError(code)), undefined, code);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '22', '2302', '230050']) {
      assert.equal(storageRejection(Object.assign(new Error(code), { code })), undefined, code);
    }
    assert.equal(storageRejection(new Error('Connection terminated unexpectedly')), undefined);
    assert.equal(storageRejection(undefined), undefined);
    assert.equal(storageRejection('22021'), undefined);
  });

  test('a rejection wrapped by a caller is found through its cause', () => {
    const wrapped = new Error('could not register', { cause: pgError('22021', 'invalid byte sequence') });
    assert.deepEqual(storageRejection(wrapped), { sqlState: '22021', message: 'invalid byte sequence' });
  });
});

describe('withoutHopelessRetries', () => {
  test('a rejection becomes a non-retryable StorageRejected failure that names the SQLSTATE', () => {
    const cause = pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
    const failure = withoutHopelessRetries(cause);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, FAILURE.storageRejected);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /SQLSTATE 22021.*invalid byte sequence for encoding "UTF8": 0x00/);
    assert.equal(failure.cause, cause);
  });

  test('anything else is thrown as it was, a failure the activity raised included', () => {
    const deadlock = pgError('40P01');
    assert.equal(withoutHopelessRetries(deadlock), deadlock);
    const own = ApplicationFailure.retryable('try again', 'Mine');
    Object.assign(own, { cause: pgError('23505') });
    assert.equal(withoutHopelessRetries(own), own);
    const plain = new Error('boom');
    assert.equal(withoutHopelessRetries(plain), plain);
  });
});
