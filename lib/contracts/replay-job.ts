// A bulk replay job's contract: what it replays (a ledger filter, frozen into a list when the job
// starts), how fast, and the progress its query answers. Shared by the workflow, its activities and
// the CLI. A contract: deterministic, no imports, so workflow code may use it.

/** The ledger filter of `hookflow deliveries list`, with times as ISO strings (workflow arguments are JSON). */
export interface ReplaySelection {
  status?: string | undefined;
  event?: string | undefined;
  action?: string | undefined;
  installation?: string | undefined;
  repository?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export interface ReplayJobArgs {
  job: string;
  selection: ReplaySelection;
  /** At most this many deliveries, the oldest first; null for all that match. */
  max: number | null;
  /** Replays started per second, at most. */
  rps: number;
  /** Also replay deliveries that completed (their handlers run again). */
  force: boolean;
  /** After the last start, how long the job waits for the runs it started to end, in ms. */
  settleTimeoutMs: number;
  /** Continue-as-new after this many deliveries, keeping each run's history bounded. */
  itemsPerRun: number;
}

type ReplayJobState = 'selecting' | 'replaying' | 'settling' | 'done' | 'cancelled';

interface ReplayRefusal {
  deliveryId: string;
  reason: string;
}

export interface ReplayJobProgress {
  job: string;
  state: ReplayJobState;
  /** Deliveries in the frozen selection. */
  matched: number;
  /** Deliveries the job has reached so far (replayed or refused). */
  processed: number;
  /** Runs the job started. */
  replayed: number;
  /** Deliveries it did not replay (running now, completed without force, payload gone…). */
  refused: number;
  /** Of the runs it started: completed, failed again, still running. */
  succeeded: number;
  failed: number;
  running: number;
  /** The first refusals, with their reasons. */
  refusals: ReplayRefusal[];
}

export const MAX_REPORTED_REFUSALS = 20;

export const REPLAY_PROGRESS_QUERY = 'progress';

export const replayJobWorkflowId = (job: string): string => `replay:${job}`;
