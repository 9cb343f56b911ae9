// An event only the user's app handles (no built-in workflow for it): checks and summarises the
// delivery; runDelivery then runs the app's handlers.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { begin, localSteps, remoteSteps } from './delivery-steps';
import { runDelivery } from './run-delivery';

export async function onAppEvent(ref: DeliveryRef): Promise<string> {
  if (localSteps()) {
    return runDelivery(ref, async () => {
      const begun = await begin(ref);
      return { summary: begun.summary, plan: begun.plan };
    });
  }
  return runDelivery(ref, () => remoteSteps.describeDelivery(ref));
}
