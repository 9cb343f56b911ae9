// Starting a reconciliation pass from outside a workflow (the CLI, the worker's schedule): its
// arguments from configuration, and a pass run now whose summary the caller waits for.
import type { Client } from '@temporalio/client';
import type { Config } from './config';
import { DEFAULT_MAX_PAGES_PER_SCAN, type ReconcileArgs, type ReconcileSummary } from './contracts/reconcile';
import type { WorkflowType } from './temporal/workflow-type';

export function reconcileArgs(
  config: Pick<Config, 'api'>,
  o: { since?: Date | undefined; dryRun?: boolean } = {},
): ReconcileArgs {
  return {
    ...(o.since !== undefined ? { since: o.since.toISOString() } : {}),
    dryRun: o.dryRun ?? false,
    // Room for the client's own waits: its turn, its pacing, and the request's timeout.
    activityTimeoutMs: 2 * config.api.timeoutMs + 2 * config.api.inlineWaitMs + 5_000,
    maxPagesPerScan: DEFAULT_MAX_PAGES_PER_SCAN,
    replayFailed: config.api.reconcileReplayFailed,
  };
}

/** One pass now, beside the scheduled ones: the claim on each GUID keeps two passes from asking twice. */
export async function runReconcilePass(
  client: Client,
  taskQueue: string,
  args: ReconcileArgs,
): Promise<ReconcileSummary> {
  return client.workflow.execute('reconcileDeliveries' satisfies WorkflowType, {
    workflowId: `hookflow-reconcile-deliveries:run:${new Date().toISOString()}`,
    taskQueue,
    args: [args],
  }) as Promise<ReconcileSummary>;
}
