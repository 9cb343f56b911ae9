// `push` to the default branch (the front door ignores the rest, unless the user's app handles
// pushes): checks and summarises the delivery.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deliverySteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onPush(ref: DeliveryRef): Promise<string> {
  const { describeDelivery } = deliverySteps();
  return runDelivery(ref, () => describeDelivery(ref));
}
