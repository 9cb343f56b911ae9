// The reconciliation schedule of a synced repository. Webhooks keep the tables current, but a
// delivery can be missed (hookflow down, GitHub giving up on it), so a periodic re-sync catches up;
// conditional requests make an unchanged repository's re-sync nearly free.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { SyncArgs } from '../../lib/contracts/sync-progress';
import { resyncScheduleId } from '../../lib/sync-client';
import type { WorkflowType } from '../../lib/temporal/workflow-type';

/** Creates the repository's schedule, or brings an existing one to the configured interval. */
export async function keepResyncSchedule(
  temporal: { client: Client; taskQueue: string },
  args: SyncArgs,
  intervalMinutes: number,
): Promise<void> {
  const every = intervalMinutes * 60_000;
  try {
    await temporal.client.schedule.create({
      scheduleId: resyncScheduleId(args.repository),
      spec: { intervals: [{ every }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconcileRepository' satisfies WorkflowType,
        args: [{ ...args }],
        taskQueue: temporal.taskQueue,
      },
      // Never two syncs of one repository at once: a run still going makes the next one skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Kept in step with the configured interval, which may have changed since the schedule was made.
    await temporal.client.schedule.getHandle(resyncScheduleId(args.repository)).update((schedule) => {
      schedule.spec.intervals = [{ every, offset: 0 }];
      return schedule;
    });
  }
}
