// `push` to the default branch (the front door ignores the rest, unless the user's app handles
// pushes): checks and summarises the delivery.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { begin, localSteps, remoteSteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onPush(ref: DeliveryRef): Promise<string> {
  if (localSteps()) {
    return runDelivery(ref, async () => {
      const begun = await begin(ref);
      return { summary: begun.summary, plan: begun.plan };
    });
  }
  return runDelivery(ref, () => remoteSteps.describeDelivery(ref));
}
