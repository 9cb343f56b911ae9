// The backfill of one repository (J2): issues, pull requests and issue comments, page by page along
// the Link cursors. The cursor lives in workflow state, so a worker crash resumes at the page it was
// on and re-fetches no completed page; continue-as-new keeps the history bounded; a query reports
// progress; a cancel stops it between pages. One job per repository (its workflow ID).
import { continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PageResult } from '../activities/github-activities';
import { firstPage, SYNC_KINDS, type SyncArgs, type SyncCounters, type SyncProgress } from '../lib/sync';
import { apiActivityOptions, withRateLimitWaits } from './api-calls';

export const progressQuery = defineQuery<SyncProgress>('progress');

export interface SyncState {
  kindIndex: number;
  next: string | null;
  counters: SyncCounters;
  startedAt: number;
  runs: number;
  /** Time spent fetching pages (not waiting), for the estimate. */
  pageMs: number;
  target: { installation: string; repoUrl: string } | null;
  expect: { pulls: number; comments: number } | null;
  budget: { remaining: number | null; resetAt: string | null };
}

const ZERO: SyncCounters = {
  issues: 0,
  pulls: 0,
  comments: 0,
  pages: 0,
  requests: 0,
  notModified: 0,
  rateLimitWaits: 0,
  waitedMs: 0,
  retries: 0,
};

export async function syncRepository(args: SyncArgs, carried?: SyncState): Promise<SyncProgress> {
  const state: SyncState = carried ?? {
    kindIndex: 0,
    next: null,
    counters: { ...ZERO },
    startedAt: Date.now(),
    runs: 0,
    pageMs: 0,
    target: null,
    expect: null,
    budget: { remaining: null, resetAt: null },
  };
  state.runs += 1;
  const { prepareSync, syncPage, finishSync } = proxyActivities<Activities>(
    apiActivityOptions(args.activityTimeoutMs),
  );
  const c = state.counters;
  const onWait = (ms: number) => {
    c.rateLimitWaits += 1;
    c.waitedMs += ms;
  };

  const progress = (): SyncProgress => {
    const kind = SYNC_KINDS[state.kindIndex];
    let estimatedMsLeft: number | null = null;
    if (state.expect && c.pages > 0) {
      const pagesLeft =
        Math.ceil(Math.max(0, state.expect.pulls - c.pulls) / 100) +
        Math.ceil(Math.max(0, state.expect.comments - c.comments) / 100);
      estimatedMsLeft = Math.round(pagesLeft * (state.pageMs / c.pages));
    }
    return {
      repository: args.repository,
      phase: state.target === null ? 'preparing' : (kind ?? 'done'),
      runs: state.runs,
      ...c,
      elapsedMs: Date.now() - state.startedAt,
      estimatedMsLeft: kind === undefined ? 0 : estimatedMsLeft,
      budgetRemaining: state.budget.remaining,
      budgetResetAt: state.budget.resetAt,
    };
  };
  setHandler(progressQuery, progress);

  if (state.target === null) {
    state.target = await withRateLimitWaits(() => prepareSync(args), onWait);
    c.requests += 1;
  }
  const target = state.target;

  let pagesThisRun = 0;
  while (state.kindIndex < SYNC_KINDS.length) {
    if (pagesThisRun >= args.pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof syncRepository>(args, state);
    }
    const kind = SYNC_KINDS[state.kindIndex];
    const url = state.next ?? firstPage(target.repoUrl, kind);
    const started = Date.now();
    const page: PageResult = await withRateLimitWaits(
      () => syncPage({ repository: args.repository, installation: target.installation, kind, url }),
      onWait,
    );
    state.pageMs += Date.now() - started;
    pagesThisRun += 1;
    c.pages += 1;
    c.requests += page.attempt;
    c.retries += page.attempt - 1;
    c[kind] += page.stored;
    if (page.fromCache) c.notModified += 1;
    if (page.waitedMs > 0) onWait(page.waitedMs);
    if (page.expect) {
      state.expect = {
        pulls: (state.expect?.pulls ?? 0) + page.expect.pulls,
        comments: (state.expect?.comments ?? 0) + page.expect.comments,
      };
    }
    if (page.budgetRemaining !== null)
      state.budget = { remaining: page.budgetRemaining, resetAt: page.budgetResetAt };
    state.next = page.next;
    if (page.next === null) state.kindIndex += 1;
  }
  const summary = progress();
  await finishSync(args, summary);
  return summary;
}
