// Starting a repository sync from outside a workflow (the CLI, activities, tests), and the IDs of a
// repository's sync job and re-sync schedule: one job per repository, so a second start attaches to
// the running one instead of starting another.
import {
  WorkflowIdConflictPolicy,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Config } from './config';
import type { SyncArgs } from './contracts/sync-progress';
import type { WorkflowType } from './temporal/workflow-type';

/** One sync job per repository: a second start attaches to it (workflow ID conflict policy USE_EXISTING). */
export function syncWorkflowId(repository: string): string {
  return `sync:github:${repository.toLowerCase()}`;
}

export function resyncScheduleId(repository: string): string {
  return `resync:github:${repository.toLowerCase()}`;
}

export const REPOSITORY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export function syncArgs(config: Pick<Config, 'api'>, repository: string, installation?: string): SyncArgs {
  return {
    repository,
    ...(installation !== undefined ? { installation } : {}),
    pagesPerRun: config.api.syncPagesPerRun,
    pagesPerActivity: config.api.syncPagesPerActivity,
    // Room for the client's own waits: its turn, its pacing, and the request's timeout.
    activityTimeoutMs: 2 * config.api.timeoutMs + 2 * config.api.inlineWaitMs + 5_000,
  };
}

export async function startSyncJob(
  client: Client,
  taskQueue: string,
  args: SyncArgs,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start('syncRepository' satisfies WorkflowType, {
    workflowId: syncWorkflowId(args.repository),
    taskQueue,
    args: [args],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}
