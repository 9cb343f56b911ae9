// The one place an API error becomes a Temporal failure, so Temporal owns every retry. Client errors
// stop the job (retrying an invalid or unauthorised request changes nothing); 5xx and network errors
// are retried by Temporal after base, 2×, 4×, 8× (the workflows allow five attempts); rate limits
// wait without holding a worker slot, and durably across a worker restart — briefly as a retry with
// a server-side delay, longer as a timer in the workflow — and are marked benign, since they are not
// errors.
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FAILURE, type WaitDetails } from '../lib/contracts/failure-types';
import { attemptState, beat } from './attempt-state';
import { ApiError } from './github/api-error';

export interface FailurePolicy {
  backoffBaseMs: number;
  retryWaitMs: number;
}

/** 5xx and network errors are retried this many times (1, 2, 4, 8 × the base), then the call fails. */
const SERVER_RETRIES = 4;

/** The `ApplicationFailure` an API error becomes; any other error is returned as it is. */
export function toTemporalFailure(
  err: unknown,
  policy: FailurePolicy,
  serverErrorsBefore = () => attemptState().serverErrors ?? 0,
  remember: (serverErrors: number) => void = (serverErrors) => beat({ serverErrors }),
): unknown {
  if (!(err instanceof ApiError)) return err;
  const d = err.details;
  switch (err.kind) {
    case 'validation':
      return ApplicationFailure.create({
        type: FAILURE.validation,
        message: err.message,
        nonRetryable: true,
      });
    case 'unauthorized':
    case 'forbidden':
      return ApplicationFailure.create({
        type: FAILURE.accessLost,
        message: err.message,
        nonRetryable: true,
      });
    case 'not-found':
      return ApplicationFailure.create({ type: FAILURE.notFound, message: err.message, nonRetryable: true });
    case 'client':
      return ApplicationFailure.create({ type: FAILURE.rejected, message: err.message, nonRetryable: true });
    case 'server':
    case 'network': {
      const before = serverErrorsBefore();
      remember(before + 1);
      if (before >= SERVER_RETRIES) {
        return ApplicationFailure.create({
          type: FAILURE.server,
          message: `${err.message} (gave up after ${SERVER_RETRIES} retries)`,
          nonRetryable: true,
        });
      }
      return ApplicationFailure.create({
        type: FAILURE.server,
        message: err.message,
        nextRetryDelay: policy.backoffBaseMs * 2 ** before,
      });
    }
    case 'rate-limited':
    case 'busy': {
      const waitMs = Math.max(1, d.waitMs ?? policy.retryWaitMs);
      const details: WaitDetails = { waitMs, limit: d.limit };
      const long = waitMs > policy.retryWaitMs;
      return ApplicationFailure.create({
        type: err.kind === 'busy' ? FAILURE.busy : long ? FAILURE.rateLimitWait : FAILURE.rateLimited,
        message: err.message,
        details: [details],
        category: ApplicationFailureCategory.BENIGN,
        // A long wait is the workflow's timer; a short one, the server's retry delay.
        ...(long ? { nonRetryable: true } : { nextRetryDelay: waitMs }),
      });
    }
  }
}
