// How workflows wait out rate limits: a wait too long for an activity retry becomes a durable timer
// here, so no worker slot sleeps and a worker restart loses nothing. The activities' retry policy is
// `apiActivityOptions` in activity-options.ts.
import { ActivityFailure, ApplicationFailure, sleep } from '@temporalio/workflow';
import { RATE_LIMIT_TYPES, type WaitDetails } from '../lib/contracts/failure-types';

/**
 * What an activity failed with: an activity's failure comes wrapped in an `ActivityFailure`; a
 * local activity's (non-retryable, or its retries spent) reaches the workflow as the activity threw
 * it. A local activity's timeout is wrapped when it happens and bare on replay.
 */
export function activityCause(err: unknown): unknown {
  return err instanceof ActivityFailure && err.cause ? err.cause : err;
}

/** The wait a failed API activity asks for, when it failed only because of a rate limit. */
function rateLimitWait(err: unknown): number | undefined {
  const cause = activityCause(err);
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (!RATE_LIMIT_TYPES.includes(cause.type ?? '')) return undefined;
  const details = cause.details?.[0] as WaitDetails | undefined;
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
