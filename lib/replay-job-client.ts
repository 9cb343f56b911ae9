// Starting a bulk replay job from outside a workflow (the CLI, tests), and finding one by its job ID.
// The job runs in Temporal (workflows/replay-deliveries.ts), not in the process that asked for it,
// so it survives that process and a worker restart.
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { replayJobWorkflowId, type ReplayJobArgs } from './contracts/replay-job';
import type { WorkflowType } from './temporal/workflow-type';

/** `20261201-174212-3fa9c1`: sorts by creation time, and unique without asking anyone. */
export function newReplayJobId(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const REPLAY_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A job named by its ID or by its workflow ID (`replay:<job>`). */
export function replayJobFrom(value: string): string | undefined {
  const job = value.startsWith('replay:') ? value.slice('replay:'.length) : value;
  return REPLAY_JOB_ID.test(job) ? job : undefined;
}

function describeSelection(args: ReplayJobArgs): string {
  const s = args.selection;
  const parts = Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${parts.length > 0 ? parts.join(' ') : 'all deliveries'}${args.max === null ? '' : `, at most ${args.max}`}, ${args.rps}/s${args.force ? ', forced' : ''}`;
}

export async function startReplayJob(
  client: Client,
  taskQueue: string,
  args: ReplayJobArgs,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start('replayDeliveries' satisfies WorkflowType, {
    workflowId: replayJobWorkflowId(args.job),
    taskQueue,
    args: [args],
    workflowIdConflictPolicy: 'FAIL',
    staticSummary: `replay job ${args.job}: ${describeSelection(args)}`,
    staticDetails: `Its runs: \`HookflowReplayJob="${args.job}"\``,
  });
}
