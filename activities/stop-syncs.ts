// Uninstall stops the installation's sync jobs and their reconciliation schedules: an App that lost
// access to a repository can only fail there, and its data is deleted with the installation.
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { resyncScheduleId, syncWorkflowId } from '../lib/sync-client';

/** Returns how many running jobs and schedules it stopped. */
export async function stopSyncs(client: Client | undefined, repositories: string[]): Promise<number> {
  if (!client) return 0;
  let stopped = 0;
  for (const repository of repositories) {
    // The job first: a sync finishing now could otherwise set its schedule up again.
    try {
      const handle = client.workflow.getHandle(syncWorkflowId(repository));
      if ((await handle.describe()).status.name === 'RUNNING') {
        await handle.cancel();
        // Wait a little for it to close (it stops at its next page), within the activity's time.
        await Promise.race([
          handle.result().catch(() => undefined),
          new Promise((r) => setTimeout(r, 3_000)),
        ]);
        stopped++;
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    try {
      await client.schedule.getHandle(resyncScheduleId(repository)).delete();
      stopped++;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return stopped;
}
