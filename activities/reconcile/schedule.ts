// The schedule of reconciliation passes against GitHub's delivery log, kept by every worker at
// start to the configured interval: created, updated, or deleted when the interval is 0 or there is
// no hook to reconcile. One schedule per task queue, so deployments sharing a namespace keep theirs
// apart. A pass still running makes the next one skip.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
} from '@temporalio/client';
import type { ReconcileArgs } from '../../lib/contracts/reconcile';
import type { WorkflowType } from '../../lib/temporal/workflow-type';

const DEFAULT_TASK_QUEUE = 'hookflow';

export function reconcileScheduleId(taskQueue: string): string {
  const base = 'hookflow-reconcile-deliveries';
  return taskQueue === DEFAULT_TASK_QUEUE ? base : `${base}:${taskQueue}`;
}

/** What the worker did with the schedule, for its log. */
export type ScheduleChange = 'created' | 'updated' | 'deleted' | 'absent';

export async function keepReconcileSchedule(
  temporal: { client: Client; taskQueue: string },
  intervalMinutes: number,
  args: ReconcileArgs,
): Promise<ScheduleChange> {
  const scheduleId = reconcileScheduleId(temporal.taskQueue);
  const handle = temporal.client.schedule.getHandle(scheduleId);
  if (intervalMinutes === 0) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'absent';
      throw err;
    }
  }
  const every = intervalMinutes * 60_000;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reconcileDeliveries' satisfies WorkflowType,
    args: [args],
    taskQueue: temporal.taskQueue,
  };
  try {
    await temporal.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // Brought to the configuration of this worker, which may have changed since it was made.
  await handle.update((schedule) => ({
    ...schedule,
    spec: { intervals: [{ every, offset: 0 }] },
    action: { ...schedule.action, ...action },
    policies: { ...schedule.policies, overlap: ScheduleOverlapPolicy.SKIP },
  }));
  return 'updated';
}
