// An event of a declaratively configured provider: checks and summarises the delivery.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { begin, localSteps, remoteSteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onProviderEvent(ref: DeliveryRef): Promise<string> {
  if (localSteps()) {
    return runDelivery(ref, async () => {
      const begun = await begin(ref);
      return { summary: begun.summary, plan: begun.plan };
    });
  }
  return runDelivery(ref, () => remoteSteps.describeDelivery(ref));
}
