import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/delivery';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

/** `pull_request`: checks and summarises the delivery; the API work arrives with the API-client issue. */
export async function onPullRequest(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, () => describeDelivery(ref));
}
