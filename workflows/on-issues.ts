// `issues`: keeps the issues table current between syncs, and on `opened` runs the example
// write-back: label the issue, then welcome its author once (each step idempotent under
// redelivery; mutations paced by the client). The write-back is off unless HOOKFLOW_WELCOME_LABEL /
// _COMMENT are set.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { apiActivityOptions, DELIVERY_ACTIVITY } from './activity-options';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';
import { withRateLimitWaits } from './with-rate-limit-waits';

const { describeDelivery, applyIssueEvent } = proxyActivities<Activities>(DELIVERY_ACTIVITY);
const WRITE_BACK = apiActivityOptions(60_000);
const { addWelcomeLabel, postWelcomeComment } = proxyActivities<Activities>(WRITE_BACK);

export async function onIssues(ref: DeliveryRef): Promise<string> {
  return runDelivery(ref, async () => {
    const parts = [await describeDelivery(ref)];
    // Deliveries started before the tables and the write-back existed replay without them.
    if (!patched(SYNC_TABLES_PATCH)) return parts[0];
    parts.push(await applyIssueEvent(ref));
    if (ref.action === 'opened') {
      const on = ref.repository ?? 'the repository';
      parts.push(
        await withRateLimitWaits(() =>
          addWelcomeLabel.executeWithOptions({ ...WRITE_BACK, summary: `welcome label in ${on}` }, [ref]),
        ),
      );
      parts.push(
        await withRateLimitWaits(() =>
          postWelcomeComment.executeWithOptions({ ...WRITE_BACK, summary: `welcome comment in ${on}` }, [
            ref,
          ]),
        ),
      );
    }
    return parts.filter((p) => p.length > 0).join('; ');
  });
}
