// Every activity option preset the workflows use, in one place, so each activity's timeouts and
// retry policy are in plain sight.
import {
  ActivityCancellationType,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import { FAILURE } from '../lib/contracts/failure-types';

/** Delivery activities touch only hookflow's own storage: short, retried a few times, then the delivery fails visibly. */
export const DELIVERY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FAILURE.payloadUnavailable],
  },
};

/** The same timeouts and retries for a local activity (it has no schedule-to-start: it never queues). */
export function localOptions(o: ActivityOptions): LocalActivityOptions {
  return {
    ...(o.startToCloseTimeout === undefined ? {} : { startToCloseTimeout: o.startToCloseTimeout }),
    ...(o.retry ? { retry: o.retry } : {}),
  };
}

/** The ledger must learn every delivery's outcome, so writing it is retried without limit (at least once a minute). */
export const FINISH_DELIVERY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};

/**
 * API activities: Temporal retries 5xx and network errors (the activity sets the delays: 1, 2, 4,
 * 8 s, then the call fails visibly); client errors and long rate-limit waits are not retried here.
 */
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
        FAILURE.payloadUnavailable,
      ],
    },
  };
}

/**
 * A sync's batch of pages: three calls' time, and a heartbeat after each page, so a worker that
 * dies is noticed within one page's time.
 */
export function syncPagesActivityOptions(activityTimeoutMs: number): ActivityOptions {
  return {
    ...apiActivityOptions(3 * activityTimeoutMs),
    heartbeatTimeout: activityTimeoutMs,
  };
}

/**
 * A replay job's steps touch hookflow's storage and Temporal: retried until they go through (at least
 * once a minute), since a job that gave up half way would leave its selection half replayed.
 */
export const REPLAY_JOB_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};

/**
 * A replay job's batch: two seconds of starts at the job's rate, plus room for slow ones; it
 * heartbeats all along, so a cancel reaches it before its next delivery and a lost worker is noticed
 * within seconds. A cancelled batch is waited for, so the job's counts include what it started.
 */
export const REPLAY_BATCH_ACTIVITY: ActivityOptions = {
  ...REPLAY_JOB_ACTIVITY,
  startToCloseTimeout: '2 minutes',
  // Heartbeats are sent at most every 0.8 × this: a cancel reaches the batch within about 2 s.
  heartbeatTimeout: '2 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** Naming a delivery's handlers reads only the worker's loaded app: a local activity, quick. */
export const PLAN_HANDLERS_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};

/**
 * A user's handler: the API activities' retries (5xx, short rate limits), its own timeout, and
 * heartbeats so a lost worker is noticed within `heartbeatMs`. Its own error is final.
 */
export function handlerActivityOptions(timeoutMs: number, heartbeatMs: number): ActivityOptions {
  return { ...apiActivityOptions(timeoutMs), heartbeatTimeout: heartbeatMs, retry: handlerRetry(timeoutMs) };
}

/**
 * A user's handler as a local activity (HOOKFLOW_LOCAL_HANDLERS): the same timeout and retries,
 * run by the worker inside the delivery's workflow task. No heartbeat: a lost worker is noticed
 * by the workflow task's timeout, and the task (the handler with it) runs again elsewhere.
 */
export function localHandlerActivityOptions(timeoutMs: number): LocalActivityOptions {
  return { startToCloseTimeout: timeoutMs, retry: handlerRetry(timeoutMs) };
}

function handlerRetry(timeoutMs: number): RetryPolicy {
  const { retry } = apiActivityOptions(timeoutMs);
  return {
    ...retry,
    nonRetryableErrorTypes: [
      ...(retry?.nonRetryableErrorTypes ?? []),
      FAILURE.handlerFailed,
      FAILURE.handlerMissing,
    ],
  };
}
