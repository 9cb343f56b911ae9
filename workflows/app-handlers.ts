// The user's handlers for a delivery (app/README.md): named once by the worker's app (a local
// activity, so the plan is in the history and a replay runs the same handlers), then each run as
// its own activity (a local one, inside the workflow task, when HOOKFLOW_LOCAL_HANDLERS was on as
// the plan was made), and each of the app's workflows for the event as a child workflow, side by
// side as Probot runs handlers. One's failure neither stops nor repeats another: all of them settle,
// then the delivery fails if any failed.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HandlerPlan } from '../activities/handler-activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { FAILURE } from '../lib/contracts/failure-types';
import {
  handlerActivityOptions,
  localHandlerActivityOptions,
  PLAN_HANDLERS_ACTIVITY,
} from './activity-options';
import { activityCause, withRateLimitWaits } from './with-rate-limit-waits';

const { planHandlers } = proxyLocalActivities<Activities>(PLAN_HANDLERS_ACTIVITY);

/** The patch that added users' handlers to the built-in delivery workflows. */
export const APP_HANDLERS_PATCH = 'app-handlers';

/**
 * Runs the app's handlers for `ref`; the summary of each, or '' when the app has none for it.
 * `planned`: the plan the delivery's first step already made (else it is made here).
 */
export async function runAppHandlers(ref: DeliveryRef, planned?: HandlerPlan): Promise<string> {
  const plan = planned ?? (await planHandlers(ref));
  const children = plan.workflows ?? [];
  if (plan.handlers.length === 0 && children.length === 0) return '';
  const results = await Promise.allSettled([
    ...plan.handlers.map((id) => {
      const args: [DeliveryRef, string] | [DeliveryRef, string, string] =
        plan.fingerprints?.[id] === undefined ? [ref, id] : [ref, id, plan.fingerprints[id]];
      const summary = `handler ${id}`;
      // The plan says which: a replay runs its handlers the way the run did.
      if (plan.local) {
        const options = localHandlerActivityOptions(plan.timeoutMs);
        const { runHandler } = proxyLocalActivities<Activities>(options);
        return withRateLimitWaits(() => runHandler.executeWithOptions({ ...options, summary }, args));
      }
      const options = handlerActivityOptions(plan.timeoutMs, plan.heartbeatMs);
      const { runHandler } = proxyActivities<Activities>(options);
      return withRateLimitWaits(() => runHandler.executeWithOptions({ ...options, summary }, args));
    }),
    ...children.map(async (w) => {
      // One child per delivery and registration; a replay of the delivery (a new run) runs it anew.
      const result: unknown = await executeChild(w.workflowType, {
        args: [ref],
        workflowId: `${ref.key}/${w.id}`,
        staticSummary: `${w.workflowType} for ${ref.event}${ref.action ? `.${ref.action}` : ''}`,
      });
      return `workflow ${w.workflowType}: ${typeof result === 'string' ? result : 'done'}`;
    }),
  ]);
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
  if (failed.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `${failed.length} of ${results.length} handlers failed: ${failed.join('; ')}`,
      FAILURE.handlerFailed,
    );
  }
  return results.map((r) => (r.status === 'fulfilled' ? r.value : '')).join('; ');
}

function messageOf(err: unknown): string {
  const inner = err instanceof ChildWorkflowFailure && err.cause ? err.cause : activityCause(err);
  return inner instanceof Error ? inner.message : String(inner);
}
