// `issue_comment`: keeps the comments table current between syncs.
import { patched } from '@temporalio/workflow';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deliverySteps } from './delivery-steps';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';

export async function onIssueComment(ref: DeliveryRef): Promise<string> {
  const { describeDelivery, applyCommentEvent } = deliverySteps();
  // Deliveries started before the tables existed replay without the new step.
  return runDelivery(ref, async () => {
    const summary = await describeDelivery(ref);
    return patched(SYNC_TABLES_PATCH) ? `${summary}; ${await applyCommentEvent(ref)}` : summary;
  });
}
