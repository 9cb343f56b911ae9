// The ledger's side of every delivery workflow: a one-line summary of what the delivery is about,
// and its final outcome, written with the run that reached it.
import { Context } from '@temporalio/activity';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { ActivityDeps } from './activity-deps';
import { loadPayload } from './payload';

/** A one-line description of what the delivery is about, recorded as its outcome. */
function summarise(ref: DeliveryRef, payload: Record<string, unknown>): string {
  const name = ref.action ? `${ref.event}.${ref.action}` : ref.event;
  const where = ref.repository ? ` in ${ref.repository}` : ref.installation ? ` for ${ref.installation}` : '';
  const number = (v: unknown) =>
    typeof v === 'object' && v !== null ? (v as { number?: unknown }).number : undefined;
  let what = '';
  if (ref.event === 'issues' || ref.event === 'issue_comment') {
    const n = number(payload.issue);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'pull_request') {
    const n = payload.number ?? number(payload.pull_request);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'push') {
    const commits = Array.isArray(payload.commits) ? payload.commits.length : 0;
    what = ` of ${commits} commit${commits === 1 ? '' : 's'} to ${String(payload.ref)}`;
  }
  return `${name}${what}${where}`;
}

export function createDeliveryActivities(deps: Pick<ActivityDeps, 'store' | 'logger'>) {
  const { store, logger } = deps;
  return {
    async describeDelivery(ref: DeliveryRef): Promise<string> {
      const summary = summarise(ref, await loadPayload(store, ref.key));
      logger.info({ delivery: ref.key, summary }, 'delivery handled');
      return summary;
    },

    async finishDelivery(key: string, outcome: 'completed' | 'failed', reason: string | null): Promise<void> {
      await store.finishDelivery(
        key,
        outcome,
        reason,
        Context.current().info.workflowExecution?.runId ?? null,
      );
    },
  };
}
