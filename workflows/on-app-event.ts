// An event only the user's app handles (no built-in workflow for it): checks and summarises the
// delivery; runDelivery then runs the app's handlers.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onAppEvent(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, () => describeDelivery(ref));
}
