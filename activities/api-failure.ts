// The one place an API error becomes a Temporal failure (A2, A3). Client errors stop the job; 5xx
// and network errors are retried by Temporal after base, 2×, 4×, 8× (the workflows allow five
// attempts); rate limits wait without holding a worker slot — briefly as a retry with a server-side
// delay, longer as a timer in the workflow — and are marked benign, since they are not errors.
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FAILURE, type WaitDetails } from '../lib/api-failures';
import { ApiError } from './github/api-error';

export { FAILURE };

export interface FailurePolicy {
  backoffBaseMs: number;
  retryWaitMs: number;
}

export function toFailure(err: unknown, policy: FailurePolicy, attempt = activityInfo().attempt): unknown {
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
    case 'network':
      return ApplicationFailure.create({
        type: FAILURE.server,
        message: err.message,
        nextRetryDelay: policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1),
      });
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
