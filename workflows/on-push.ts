// `push` to the default branch (the front door ignores the rest, unless the user's app handles
// pushes): checks and summarises the delivery.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onPush(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, () => describeDelivery(ref));
}
