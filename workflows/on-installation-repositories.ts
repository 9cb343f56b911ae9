// `installation_repositories`: keeps the installation's repository list current.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { updateInstallationRepositories } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function onInstallationRepositories(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, () => updateInstallationRepositories(ref));
}
