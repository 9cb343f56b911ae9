// Starting a repository sync from outside a workflow (the CLI, tests): one job per repository, so a
// second start attaches to the running one instead of starting another.
import {
  WorkflowIdConflictPolicy,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Config } from './config';
import { syncWorkflowId, type SyncArgs } from './sync';

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
  return client.workflow.start('syncRepository', {
    workflowId: syncWorkflowId(args.repository),
    taskQueue,
    args: [args],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}
