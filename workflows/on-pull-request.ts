// `pull_request`: keeps the pull requests table current between syncs.
import { patched } from '@temporalio/workflow';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deliverySteps } from './delivery-steps';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';

export async function onPullRequest(ref: DeliveryRef): Promise<string> {
  const { describeDelivery, applyPullRequestEvent } = deliverySteps();
  // Deliveries started before the tables existed replay without the new step.
  return runDelivery(ref, async () => {
    const summary = await describeDelivery(ref);
    return patched(SYNC_TABLES_PATCH) ? `${summary}; ${await applyPullRequestEvent(ref)}` : summary;
  });
}
