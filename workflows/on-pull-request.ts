// `pull_request`: keeps the pull requests table current between syncs.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';

const { describeDelivery, applyPullRequestEvent } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onPullRequest(ref: DeliveryRef): Promise<string> {
  // Deliveries started before the tables existed replay without the new step.
  return runDelivery(ref, async () => {
    const summary = await describeDelivery(ref);
    return patched(SYNC_TABLES_PATCH) ? `${summary}; ${await applyPullRequestEvent(ref)}` : summary;
  });
}
