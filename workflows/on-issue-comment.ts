import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/delivery';
import { DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery } from './run-delivery';

const { describeDelivery, applyCommentEvent } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

/** `issue_comment`: keeps the comments table current between syncs (J1). */
export async function onIssueComment(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, async () => `${await describeDelivery(ref)}; ${await applyCommentEvent(ref)}`);
}
