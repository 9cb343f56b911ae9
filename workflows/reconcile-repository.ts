// What the reconciliation schedule runs: start the repository's sync, or find it already
// running. Schedules add a timestamp to the workflow IDs they start, so the sync itself is started
// by ID from an activity, which keeps one sync per repository whoever starts it.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SyncArgs } from '../lib/contracts/sync-progress';
import { DELIVERY_ACTIVITY } from './activity-options';

const { startSync } = proxyActivities<Activities>(DELIVERY_ACTIVITY);

export async function reconcileRepository(args: SyncArgs): Promise<string> {
  return startSync(args);
}
