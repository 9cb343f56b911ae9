// Every delivery workflow runs its own work, then the user's app's handlers for the event
// (app-handlers.ts), and ends by writing its outcome to the ledger, success or failure; a failed
// delivery also fails its workflow, so `ExecutionStatus="Failed"` in the Temporal UI is the truth
// and a redelivery (or replay) may run it again.
import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { FAILURE } from '../lib/contracts/failure-types';
import { APP_HANDLERS_PATCH, runAppHandlers } from './app-handlers';
import type { HandlerPlan } from '../activities/handler-activities';
import { deliveryPatched, finishStep } from './delivery-steps';

/** What a delivery's own work did; with the app's handlers already planned when its first step did that. */
type Work = string | { summary: string; plan: HandlerPlan };

export async function runDelivery(ref: DeliveryRef, work: () => Promise<Work>): Promise<string> {
  let summary: string;
  try {
    const done = await work();
    summary = typeof done === 'string' ? done : done.summary;
    // Deliveries started before apps existed replay without the step.
    if (deliveryPatched(APP_HANDLERS_PATCH)) {
      const handled = await runAppHandlers(ref, typeof done === 'string' ? undefined : done.plan);
      if (handled.length > 0) summary = summary.length > 0 ? `${summary}; ${handled}` : handled;
    }
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    await record(ref, 'failed', message);
    throw ApplicationFailure.nonRetryable(`delivery ${ref.key} failed: ${message}`, FAILURE.deliveryFailed);
  }
  await record(ref, 'completed', summary);
  return summary;
}

/** A run started by `hookflow replay` carries the run it replays in its memo (lib/replay.ts). */
const isReplay = () => Object.hasOwn(workflowInfo().memo ?? {}, 'hookflowReplayOf');

const record = (ref: DeliveryRef, outcome: 'completed' | 'failed', reason: string) => {
  const { finishDelivery, options } = finishStep();
  return finishDelivery.executeWithOptions({ ...options, summary: `ledger: ${outcome}` }, [
    ref.key,
    outcome,
    reason,
    isReplay(),
  ]);
};

/** The patch that added the synced tables' updates (and the write-back) to the delivery workflows. */
export const SYNC_TABLES_PATCH = 'sync-tables';
