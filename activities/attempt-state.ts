// What an activity remembers across its attempts. Heartbeat details reach the next attempt, so the
// 5xx count survives the retries that rate limits take in between (those do not count).
// https://docs.temporal.io/develop/typescript/activities/timeouts#activity-heartbeats
import { Context, heartbeat } from '@temporalio/activity';

export interface AttemptState {
  serverErrors?: number;
  [key: string]: unknown;
}

const states = new WeakMap<object, AttemptState>();

/** The current activity's state: its last heartbeat's details, as this attempt started with them. */
export function attemptState(): AttemptState {
  const ctx = Context.current();
  let state = states.get(ctx);
  if (!state) {
    const details: unknown = ctx.info.heartbeatDetails;
    state = typeof details === 'object' && details !== null ? { ...(details as AttemptState) } : {};
    states.set(ctx, state);
  }
  return state;
}

/** Heartbeats with `patch` merged into the activity's remembered state. */
export function beat(patch: AttemptState): void {
  const state = Object.assign(attemptState(), patch);
  heartbeat(state);
}
