// `installation`: created → register it and its repositories; deleted → remove it and its stored
// data.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { registerInstallation, removeInstallation, describeDelivery } =
  proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onInstallation(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, async () => {
    switch (ref.action) {
      case 'created':
      case 'new_permissions_accepted':
      case 'unsuspend':
        return registerInstallation(ref);
      case 'deleted':
        return removeInstallation(ref);
      default:
        return describeDelivery(ref);
    }
  });
}
