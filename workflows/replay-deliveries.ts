// A bulk replay job (`hookflow replay --status failed … --yes`): the ledger filter is frozen into
// a list when the job starts, then its deliveries are replayed in turn, in batches of about two
// seconds' worth, no faster than the job's rate (the batch activity keeps it: workflow timers are
// too coarse for 50 starts a second), and at the end the job waits for the runs it started to end,
// to report how they went. Progress is a query; a cancel stops the job before its next delivery;
// continue-as-new keeps long jobs' histories bounded. One job per ID (`replay:<job>`).
import {
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  REPLAY_PROGRESS_QUERY,
  type ReplayJobArgs,
  type ReplayJobProgress,
} from '../lib/contracts/replay-job';
import { REPLAY_BATCH_ACTIVITY, REPLAY_JOB_ACTIVITY } from './activity-options';

export const replayProgressQuery = defineQuery<ReplayJobProgress>(REPLAY_PROGRESS_QUERY);

const { freezeReplaySelection, replayJobCounts } = proxyActivities<Activities>(REPLAY_JOB_ACTIVITY);
const { replayJobBatch } = proxyActivities<Activities>(REPLAY_BATCH_ACTIVITY);

interface ReplayState {
  progress: ReplayJobProgress;
  /** When the last replay started (the activity's clock), so the rate holds across batches and runs. */
  lastStartAt: number | null;
}

/** A batch is about this long at the job's rate, so progress shows every few seconds. */
const BATCH_MS = 2_000;
const MAX_BATCH = 100;
/** Longest pause between two looks at how the started runs stand. */
const MAX_SETTLE_POLL_MS = 30_000;

export async function replayDeliveries(
  args: ReplayJobArgs,
  carried?: ReplayState,
): Promise<ReplayJobProgress> {
  const state: ReplayState = carried ?? {
    progress: {
      job: args.job,
      state: 'selecting',
      matched: 0,
      processed: 0,
      replayed: 0,
      refused: 0,
      succeeded: 0,
      failed: 0,
      running: 0,
      refusals: [],
    },
    lastStartAt: null,
  };
  const p = state.progress;
  setHandler(replayProgressQuery, () => ({ ...p, refusals: [...p.refusals] }));
  // The job's bookkeeping steps are not interrupted by a cancel; a batch is (before its next delivery).
  const step = <T>(fn: () => Promise<T>) => CancellationScope.nonCancellable(fn);
  const recount = async () => Object.assign(p, await step(() => replayJobCounts(args.job)));
  try {
    if (p.state === 'selecting') {
      p.matched = await step(() => freezeReplaySelection(args));
      p.state = 'replaying';
    }
    const intervalMs = 1_000 / args.rps;
    const batchSize = Math.min(MAX_BATCH, Math.max(1, Math.ceil(BATCH_MS / intervalMs)));
    let inThisRun = 0;
    while (p.processed < p.matched) {
      // A cancel first: the next run would not inherit the request.
      if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('replay job cancelled');
      if (inThisRun >= args.itemsPerRun || workflowInfo().continueAsNewSuggested)
        await continueAsNew<typeof replayDeliveries>(args, state);
      const to = Math.min(p.matched, p.processed + batchSize);
      const from = p.processed + 1;
      const batch = await replayJobBatch.executeWithOptions(
        { ...REPLAY_BATCH_ACTIVITY, summary: `replay ${from}–${to} of ${p.matched}` },
        [{ job: args.job, from, to, force: args.force, intervalMs, lastStartAt: state.lastStartAt }],
      );
      state.lastStartAt = batch.lastStartAt;
      inThisRun += to - p.processed;
      await recount();
    }
    p.state = 'settling';
    const deadline = Date.now() + args.settleTimeoutMs;
    let pause = 250;
    for (;;) {
      await recount();
      const left = deadline - Date.now();
      if (p.running === 0 || left <= 0) break;
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, MAX_SETTLE_POLL_MS);
    }
    p.state = 'done';
    return { ...p, refusals: [...p.refusals] };
  } catch (err) {
    if (isCancellation(err)) {
      p.state = 'cancelled';
      await recount();
    }
    throw err;
  }
}
