// Reconciliation against GitHub's delivery log: the pass's arguments, what one hook's scan found,
// and the summary the workflow returns (the CLI prints it). Shared by the workflow, its activities
// and the CLI.
// A contract: deterministic, no imports, so workflow code may use it.

/** GitHub redelivers deliveries of the past 3 days only (7 on GitHub Enterprise Server). */
export const REDELIVERY_WINDOW_MS = 3 * 24 * 3_600_000;

/**
 * Each pass lists this far below the last pass's watermark: the log can show a delivery a little
 * after its `delivered_at`, and a delivery seen twice costs nothing.
 */
export const WATERMARK_OVERLAP_MS = 10 * 60_000;

/** One hook whose deliveries GitHub lists. */
export interface ReconcileSource {
  /** `app` for the App's hook, `hook:<id>` for a repository's or organization's: the key of its state. */
  key: string;
  /** The hook's delivery log under the API base (`app/hook/deliveries`, `repos/o/r/hooks/1/deliveries`). */
  deliveriesPath: string;
  /** That path's route template, for logs and metrics. */
  route: string;
  /** Listed with the App's JWT (the App's hook), else with the token. */
  asApp: boolean;
  /** The ledger's source of the deliveries this hook sends (`github`, `github:hook:<id>`). */
  ledgerSource: string;
}

export interface ReconcileArgs {
  /** ISO time: list down to it instead of the watermark (`hookflow reconcile --since`). */
  since?: string | undefined;
  /** Find and report only: ask for nothing, and leave the watermarks where they are. */
  dryRun: boolean;
  activityTimeoutMs: number;
  /** Pages of the log one scan reads at most (absent in schedules made before it: 300). */
  maxPagesPerScan?: number | undefined;
  /** Replay each failed-in-hookflow delivery once (HOOKFLOW_RECONCILE_REPLAY_FAILED). */
  replayFailed?: boolean | undefined;
}

/** Pages one scan reads when the pass does not say: 30,000 attempts at 100 a page. */
export const DEFAULT_MAX_PAGES_PER_SCAN = 300;

/** A GUID to ask for: `attemptId` is the log entry (a failed attempt) whose redelivery is asked. */
export interface MissedDelivery {
  guid: string;
  attemptId: string;
}

/** What one hook's scan found; GUID lists are samples, kept short so workflow histories stay small. */
export interface ScanResult {
  source: string;
  /** Distinct deliveries (GUIDs) in the listed part of the log. */
  scanned: number;
  /** Never recorded by hookflow, never delivered OK, not asked for yet, still redeliverable: asked now. */
  missed: MissedDelivery[];
  /** Recorded by hookflow, but its run failed (or it is a dead letter): `hookflow replay` runs it again. */
  failedInHookflow: string[];
  failedInHookflowCount: number;
  /** GitHub marks it failed, but hookflow has it (a slow answer after the ack): reported only. */
  answeredLate: number;
  /** Failed in hookflow and not replayed by the reconciler yet: replayed now when the pass is told to. */
  toReplay: string[];
  /** Being asked for by another pass right now: this pass leaves the watermark where it is. */
  inFlight: number;
  /** Asked for by an earlier pass and still not delivered OK: reported, never asked again. */
  stillFailing: string[];
  stillFailingCount: number;
  /** Missed, but older than GitHub's redelivery window: lost. */
  unrecoverable: string[];
  unrecoverableCount: number;
  /** Of those, the ones no earlier pass had found: what the metric counts. */
  unrecoverableNew: number;
  /**
   * The watermark is older than the redelivery window (no pass ran for that long): whatever was
   * missed between it and the window's start can no longer be seen or asked for.
   */
  gap: { from: string; to: string } | null;
  /**
   * The pass did not cover everything down to its floor: more missed deliveries than one pass asks
   * for, or a listing stopped early (the page cap, a cursor GitHub gave before, an empty page that
   * still names a next one). The watermark stays, so the next pass lists this part again.
   */
  truncated: boolean;
  /** Where the watermark moves when every request of this pass is done; null: it stays. */
  advanceTo: string | null;
  /** Where the listing stopped (the oldest time it covered). */
  listedFrom: string;
}

export interface SourceSummary {
  source: string;
  scanned: number;
  missed: number;
  redelivered: number;
  failedInHookflow: number;
  answeredLate: number;
  stillFailing: number;
  unrecoverable: number;
  /** Redelivery requests GitHub refused (4xx), or whose answer was lost, or that failed after retries. */
  notRedelivered: number;
  /** Missed, but claimed by another pass (asked by it, or being asked right now): not asked by this one. */
  alreadyAsked: number;
  /** Failed-in-hookflow deliveries this pass replayed (HOOKFLOW_RECONCILE_REPLAY_FAILED). */
  replayed: number;
  gap: { from: string; to: string } | null;
  truncated: boolean;
  watermarkAdvanced: boolean;
  samples: { failedInHookflow: string[]; stillFailing: string[]; unrecoverable: string[] };
}

export interface ReconcileSummary {
  dryRun: boolean;
  scanned: number;
  missed: number;
  redelivered: number;
  failedInHookflow: number;
  unrecoverable: number;
  answeredLate: number;
  stillFailing: number;
  notRedelivered: number;
  alreadyAsked: number;
  replayed: number;
  sources: SourceSummary[];
  /** Hooks whose log could not be listed (no access, say): their watermarks stay. */
  failedSources: { source: string; error: string }[];
  /** Installations first seen in a delivery, checked against the API in this pass (App mode). */
  installations?: { verified: number; unknown: number; skipped: number };
  /** Why the installations could not be checked in this pass (the next one tries again). */
  installationsError?: string;
}
