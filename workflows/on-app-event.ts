// An event only the user's app handles (no built-in workflow for it): checks and summarises the
// delivery; runDelivery then runs the app's handlers.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deliverySteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onAppEvent(ref: DeliveryRef): Promise<string> {
  const { describeDelivery } = deliverySteps();
  return runDelivery(ref, () => describeDelivery(ref));
}
