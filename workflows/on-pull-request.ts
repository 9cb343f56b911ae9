// `pull_request`: keeps the pull requests table current between syncs.
import { patched } from '@temporalio/workflow';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { begin, localSteps, remoteSteps } from './delivery-steps';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';

export async function onPullRequest(ref: DeliveryRef): Promise<string> {
  if (localSteps()) {
    return runDelivery(ref, async () => {
      const begun = await begin(ref, { tables: 'pullRequest' });
      return { summary: begun.summary, plan: begun.plan };
    });
  }
  // Runs from before the local steps replay as they ran; those from before the tables, without them.
  return runDelivery(ref, async () => {
    const summary = await remoteSteps.describeDelivery(ref);
    return patched(SYNC_TABLES_PATCH)
      ? `${summary}; ${await remoteSteps.applyPullRequestEvent(ref)}`
      : summary;
  });
}
