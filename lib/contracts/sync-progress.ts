// The repository sync job's contract (a long backfill that survives restarts, resumes from its
// checkpoint and reports progress): its arguments, its counters, the progress its query answers, and
// the listings it walks. Shared by the workflow, its activities and the CLI.
// A contract: deterministic, no imports, so workflow code may use it.

export const SYNC_KINDS = ['issues', 'pulls', 'comments'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export interface SyncArgs {
  /** `owner/repo`. */
  repository: string;
  /** The installation to sync with; else the one its `installation` webhooks registered. */
  installation?: string | undefined;
  /** Continue-as-new after this many pages, keeping the history bounded. */
  pagesPerRun: number;
  /** Pages one activity fetches (each stored with its checkpoint) before it reports back. */
  pagesPerActivity: number;
  activityTimeoutMs: number;
}

export interface SyncCounters {
  issues: number;
  pulls: number;
  comments: number;
  pages: number;
  requests: number;
  notModified: number;
  rateLimitWaits: number;
  waitedMs: number;
  retries: number;
}

type SyncPhase = 'preparing' | SyncKind | 'done';

export interface SyncProgress extends SyncCounters {
  repository: string;
  phase: SyncPhase;
  /** Continue-as-new runs so far (1 for the first). */
  runs: number;
  elapsedMs: number;
  /** Unknown (null) until the issues listing told how many pull requests and comments to expect. */
  estimatedMsLeft: number | null;
  budgetRemaining: number | null;
  budgetResetAt: string | null;
}

/** The name of the query a running sync answers with its `SyncProgress`. */
export const SYNC_PROGRESS_QUERY = 'progress';

/** The first page of each listing, under the repository's URL as the API gave it; later pages come from Link. */
export function firstPage(repoUrl: string, kind: SyncKind): string {
  switch (kind) {
    case 'issues':
      return `${repoUrl}/issues?state=all&per_page=100`;
    case 'pulls':
      return `${repoUrl}/pulls?state=all&per_page=100`;
    case 'comments':
      return `${repoUrl}/issues/comments?per_page=100`;
  }
}
