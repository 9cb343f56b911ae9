import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/delivery';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery, applyPullRequestEvent } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

/** `pull_request`: keeps the pull requests table current between syncs (J1). */
export async function onPullRequest(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, async () => `${await describeDelivery(ref)}; ${await applyPullRequestEvent(ref)}`);
}
