// An event of a declaratively configured provider: checks and summarises the delivery.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deliverySteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onProviderEvent(ref: DeliveryRef): Promise<string> {
  const { describeDelivery } = deliverySteps();
  return runDelivery(ref, () => describeDelivery(ref));
}
