// How workflows call API activities: Temporal retries 5xx and network errors (delays set by the
// activity: 1, 2, 4, 8 s, then the call fails visibly); rate-limit waits too long for a retry are
// durable timers here, so no worker slot sleeps and a worker restart loses nothing (A3).
import { ActivityFailure, ApplicationFailure, sleep, type ActivityOptions } from '@temporalio/workflow';
import { FAILURE, RATE_LIMIT_TYPES, type WaitDetails } from '../lib/api-failures';

export function apiActivityOptions(startToCloseMs: number): ActivityOptions {
  return {
    startToCloseTimeout: startToCloseMs,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      // 5xx retries are counted by the activity (four, then it fails); this also leaves room for the
      // short rate-limit retries, which do not count against them.
      maximumAttempts: 12,
      nonRetryableErrorTypes: [
        FAILURE.validation,
        FAILURE.accessLost,
        FAILURE.notFound,
        FAILURE.rejected,
        FAILURE.rateLimitWait,
        FAILURE.notConfigured,
        'PayloadUnavailable',
      ],
    },
  };
}

/** The wait a failed API activity asks for, when it failed only because of a rate limit. */
export function rateLimitWait(err: unknown): number | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (!RATE_LIMIT_TYPES.includes(err.cause.type ?? '')) return undefined;
  const details = err.cause.details?.[0] as WaitDetails | undefined;
  return Math.max(1, details?.waitMs ?? 1_000);
}

/** Calls again after each rate-limit wait, as a timer; every other failure goes to the caller. */
export async function withRateLimitWaits<T>(
  call: () => Promise<T>,
  onWait?: (ms: number) => void,
): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const wait = rateLimitWait(err);
      if (wait === undefined) throw err;
      onWait?.(wait);
      await sleep(wait);
    }
  }
}
