// `issues`: keeps the issues table current between syncs, and on `opened` runs the example
// write-back: label the issue, then welcome its author once (each step idempotent under
// redelivery; mutations paced by the client). The write-back is off unless HOOKFLOW_WELCOME_LABEL /
// _COMMENT are set.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { apiActivityOptions } from './activity-options';
import { begin, localSteps, remoteSteps } from './delivery-steps';
import { runDelivery, SYNC_TABLES_PATCH } from './run-delivery';
import { withRateLimitWaits } from './with-rate-limit-waits';

const WRITE_BACK = apiActivityOptions(60_000);
const { addWelcomeLabel, postWelcomeComment } = proxyActivities<Activities>(WRITE_BACK);

export async function onIssues(ref: DeliveryRef): Promise<string> {
  if (localSteps()) {
    return runDelivery(ref, async () => {
      const begun = await begin(ref, { tables: 'issue', welcome: ref.action === 'opened' });
      // Only the write-back steps that are on are scheduled.
      const parts = [begun.summary, ...(await welcome(ref, begun.welcome))];
      return { summary: parts.filter((p) => p.length > 0).join('; '), plan: begun.plan };
    });
  }
  // Runs from before the local steps replay as they ran.
  return runDelivery(ref, async () => {
    const parts = [await remoteSteps.describeDelivery(ref)];
    // Deliveries started before the tables and the write-back existed replay without them.
    if (!patched(SYNC_TABLES_PATCH)) return parts[0];
    parts.push(await remoteSteps.applyIssueEvent(ref));
    if (ref.action === 'opened') parts.push(...(await welcome(ref, { label: true, comment: true })));
    return parts.filter((p) => p.length > 0).join('; ');
  });
}

/** The welcome write-back's steps that are on: label, then comment. */
async function welcome(ref: DeliveryRef, on: { label: boolean; comment: boolean }): Promise<string[]> {
  const where = ref.repository ?? 'the repository';
  const done: string[] = [];
  if (on.label) {
    done.push(
      await withRateLimitWaits(() =>
        addWelcomeLabel.executeWithOptions({ ...WRITE_BACK, summary: `welcome label in ${where}` }, [ref]),
      ),
    );
  }
  if (on.comment) {
    done.push(
      await withRateLimitWaits(() =>
        postWelcomeComment.executeWithOptions({ ...WRITE_BACK, summary: `welcome comment in ${where}` }, [
          ref,
        ]),
      ),
    );
  }
  return done;
}
