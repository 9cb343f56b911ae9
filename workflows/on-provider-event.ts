// An event of a declaratively configured provider: checks and summarises the delivery.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onProviderEvent(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, () => describeDelivery(ref));
}
