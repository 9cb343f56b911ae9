// `issues`: keeps the issues table current between syncs, and on `opened` runs the example
// write-back: label the issue, then welcome its author once (each step idempotent under
// redelivery; mutations paced by the client). The write-back is off unless HOOKFLOW_WELCOME_LABEL /
// _COMMENT are set.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { apiActivityOptions } from './activity-options';
import { deliverySteps, localSteps } from './delivery-steps';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';
import { withRateLimitWaits } from './with-rate-limit-waits';

const WRITE_BACK = apiActivityOptions(60_000);
const { addWelcomeLabel, postWelcomeComment } = proxyActivities<Activities>(WRITE_BACK);

export async function onIssues(ref: DeliveryRef): Promise<string> {
  const { describeDelivery, applyIssueEvent, welcomeSteps } = deliverySteps();
  return runDelivery(ref, async () => {
    const parts = [await describeDelivery(ref)];
    // Deliveries started before the tables and the write-back existed replay without them.
    if (!patched(SYNC_TABLES_PATCH)) return parts[0];
    parts.push(await applyIssueEvent(ref));
    if (ref.action === 'opened') {
      // Runs with the local steps ask first which write-back steps are on, and schedule only those.
      const on = localSteps() ? await welcomeSteps() : { label: true, comment: true };
      const where = ref.repository ?? 'the repository';
      if (on.label) {
        parts.push(
          await withRateLimitWaits(() =>
            addWelcomeLabel.executeWithOptions({ ...WRITE_BACK, summary: `welcome label in ${where}` }, [
              ref,
            ]),
          ),
        );
      }
      if (on.comment) {
        parts.push(
          await withRateLimitWaits(() =>
            postWelcomeComment.executeWithOptions({ ...WRITE_BACK, summary: `welcome comment in ${where}` }, [
              ref,
            ]),
          ),
        );
      }
    }
    return parts.filter((p) => p.length > 0).join('; ');
  });
}
