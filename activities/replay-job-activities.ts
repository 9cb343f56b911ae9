// A bulk replay job's steps (workflows/replay-deliveries.ts): freeze its selection, replay a batch
// of its deliveries at the job's rate, and read its counts. Each step is safe to retry: the
// selection is frozen once, and a delivery's row records what became of it as soon as it is
// replayed, so a retried batch skips what an earlier attempt did.
import { CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MAX_REPORTED_REFUSALS, type ReplayJobArgs } from '../lib/contracts/replay-job';
import { ReplayRefused, replayDelivery } from '../lib/replay';
import type { ActivityDeps } from './activity-deps';

type ItemOutcome = { state: 'replayed'; runId: string } | { state: 'refused'; reason: string };

export interface ReplayBatch {
  job: string;
  /** Positions in the frozen selection, first and last included. */
  from: number;
  to: number;
  force: boolean;
  /** Least time between two starts, in ms. */
  intervalMs: number;
  /** The previous batch's last start (ms since the epoch), so the rate holds across batches. */
  lastStartAt: number | null;
}

export function createReplayJobActivities(
  deps: Pick<ActivityDeps, 'store' | 'logger' | 'metrics' | 'temporal'>,
) {
  const { store, logger, metrics } = deps;
  const temporal = () => {
    if (!deps.temporal) throw new Error('replay jobs need the worker’s Temporal client');
    return deps.temporal;
  };

  /** The run a previous attempt started, if that attempt died before recording it. */
  async function startedByThisJob(workflowId: string, job: string): Promise<string | undefined> {
    try {
      const d = await temporal().client.workflow.getHandle(workflowId).describe();
      return d.memo?.hookflowReplayJob === job ? d.runId : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** A run this job started, found again: the ledger learns of it as if the start had returned. */
  async function adopt(deliveryKey: string, runId: string): Promise<ItemOutcome> {
    await store.markReplayed(deliveryKey, runId);
    return { state: 'replayed', runId };
  }

  async function replayOne(job: string, deliveryKey: string, force: boolean): Promise<ItemOutcome> {
    const [delivery] = await store.findDeliveries(deliveryKey);
    if (!delivery) return { state: 'refused', reason: 'no longer in the ledger (past its retention)' };
    const { client, taskQueue, searchRepository } = temporal();
    try {
      const r = await replayDelivery({ client, taskQueue, store, searchRepository }, delivery, {
        force,
        job,
      });
      return { state: 'replayed', runId: r.runId };
    } catch (err) {
      if (!(err instanceof ReplayRefused)) throw err;
      // Refused because of a run this job started (a lost attempt's, still running or ended)?
      const runId = await startedByThisJob(delivery.workflowId, job);
      return runId === undefined ? { state: 'refused', reason: err.message } : adopt(deliveryKey, runId);
    }
  }

  return {
    async freezeReplaySelection(args: Pick<ReplayJobArgs, 'job' | 'selection' | 'max'>): Promise<number> {
      const matched = await store.freezeReplaySelection(args.job, args.selection, args.max);
      logger.info({ job: args.job, matched }, 'replay job selection frozen');
      return matched;
    },

    /**
     * Replays the deliveries at positions `from`…`to`, one at a time, no two starts closer than
     * `intervalMs`: the rate is kept here, on one clock, with a precision workflow timers do not give
     * (and at a cost of one activity per batch, not per delivery). A cancel stops it before its next
     * delivery. Returns when the last start was.
     */
    async replayJobBatch(b: ReplayBatch): Promise<{ lastStartAt: number | null }> {
      const ctx = Context.current();
      let position = b.from;
      // Heartbeats all along (waits and slow starts too): an attempt is given up only when its
      // worker is gone, and a cancel reaches it within a heartbeat.
      const beating = setInterval(() => ctx.heartbeat(position), 500);
      let lastStartAt = b.lastStartAt;
      try {
        for (; position <= b.to; position++) {
          if (ctx.cancellationSignal.aborted) throw new CancelledFailure('replay job cancelled');
          const item = await store.replayJobItem(b.job, position);
          if (!item) throw new Error(`replay job ${b.job} has no delivery at position ${position}`);
          if (item.state === 'replayed' || item.state === 'refused') continue; // an earlier attempt's
          if (item.state === 'starting') {
            // An earlier attempt was lost about to start it: if it did, that run is the replay.
            const runId = await startedByThisJob(item.deliveryKey, b.job);
            if (runId !== undefined) {
              await store.recordReplayJobItem(b.job, position, await adopt(item.deliveryKey, runId));
              continue;
            }
          }
          const wait = lastStartAt === null ? 0 : lastStartAt + b.intervalMs - Date.now();
          if (wait > 0) await ctx.sleep(wait);
          await store.recordReplayJobItem(b.job, position, { state: 'starting' });
          const outcome = await replayOne(b.job, item.deliveryKey, b.force);
          if (outcome.state === 'replayed') lastStartAt = Date.now();
          await store.recordReplayJobItem(b.job, position, outcome);
          metrics?.recordReplay(outcome.state === 'replayed' ? 'started' : 'refused');
          logger.info(
            { job: b.job, delivery: item.deliveryKey, ...outcome },
            outcome.state === 'replayed' ? 'delivery replayed' : 'delivery not replayed',
          );
        }
      } finally {
        clearInterval(beating);
      }
      return { lastStartAt };
    },

    replayJobCounts: (job: string) => store.replayJobCounts(job, MAX_REPORTED_REFUSALS),
  };
}
