// The ledger's side of every delivery workflow: a one-line summary of what the delivery is about,
// and its final outcome, written with the run that reached it.
import { Context } from '@temporalio/activity';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { ActivityDeps } from './activity-deps';
import { loadPayload } from './payload';
import { summariseDelivery } from '../lib/delivery-summary';

export function createDeliveryActivities(deps: Pick<ActivityDeps, 'store' | 'logger' | 'metrics'>) {
  const { store, logger, metrics } = deps;
  return {
    async describeDelivery(ref: DeliveryRef): Promise<string> {
      const summary = summariseDelivery(ref, await loadPayload(store, ref.key));
      logger.info({ delivery: ref.key, summary }, 'delivery handled');
      return summary;
    },

    /** `replay`: the run was started by a replay (histories from before it was passed say nothing). */
    async finishDelivery(
      key: string,
      outcome: 'completed' | 'failed',
      reason: string | null,
      replay?: boolean,
    ): Promise<void> {
      const { firstRecord } = await store.finishDelivery(
        key,
        outcome,
        reason,
        Context.current().info.workflowExecution?.runId ?? null,
      );
      if (replay === true && firstRecord) metrics?.recordReplay(outcome);
    },
  };
}
