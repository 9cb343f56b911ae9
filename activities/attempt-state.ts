// What an activity remembers across its attempts. Heartbeat details reach the next attempt, so the
// 5xx count survives the retries that rate limits take in between (those do not count).
// https://docs.temporal.io/develop/typescript/activities/timeouts#activity-heartbeats
// A local activity cannot heartbeat; its retries run in the worker that scheduled it, so its state
// is kept in this process instead, by execution (lost when the workflow task moves to another
// worker, and left behind by a retry after a backoff over a minute, which is a new local activity).
import { Context, heartbeat } from '@temporalio/activity';

export interface AttemptState {
  serverErrors?: number;
  [key: string]: unknown;
}

const states = new WeakMap<object, AttemptState>();

/** Local activities' states by execution, the oldest dropped past this many (a bound, not a cache). */
const LOCAL_STATES_KEPT = 10_000;
const localStates = new Map<string, AttemptState>();

function localKey(ctx: Context): string {
  const { workflowExecution, activityId } = ctx.info;
  return `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}`;
}

/** The current activity's state: its last heartbeat's details, as this attempt started with them. */
export function attemptState(): AttemptState {
  const ctx = Context.current();
  let state = states.get(ctx);
  if (!state) {
    // A first attempt starts afresh: a local one seen before is its workflow task run again.
    const details: unknown = !ctx.info.isLocal
      ? ctx.info.heartbeatDetails
      : ctx.info.attempt > 1
        ? localStates.get(localKey(ctx))
        : undefined;
    state = typeof details === 'object' && details !== null ? { ...(details as AttemptState) } : {};
    states.set(ctx, state);
  }
  return state;
}

/** Heartbeats with `patch` merged into the activity's remembered state. */
export function beat(patch: AttemptState): void {
  const state = Object.assign(attemptState(), patch);
  const ctx = Context.current();
  if (!ctx.info.isLocal) {
    heartbeat(state);
    return;
  }
  const key = localKey(ctx);
  localStates.delete(key); // Re-inserted last: the newest at the end, the oldest first to go.
  localStates.set(key, { ...state });
  if (localStates.size > LOCAL_STATES_KEPT) localStates.delete(localStates.keys().next().value!);
}
