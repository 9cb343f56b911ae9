// The backfill of one repository: issues, pull requests and issue comments, page by page along
// the Link cursors. The cursor lives in workflow state between activities, and each activity
// checkpoints every page it stores, so a worker crash resumes at the page it was on and re-fetches no
// completed page; continue-as-new keeps the history bounded; a query reports progress; a cancel
// stops it. One job per repository (its workflow ID).
import {
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PagesResult } from '../activities/sync-activities';
import {
  firstPage,
  SYNC_KINDS,
  SYNC_PROGRESS_QUERY,
  type SyncArgs,
  type SyncCounters,
  type SyncProgress,
} from '../lib/contracts/sync-progress';
import { apiActivityOptions, syncPagesActivityOptions } from './activity-options';
import { withRateLimitWaits } from './with-rate-limit-waits';

export const progressQuery = defineQuery<SyncProgress>(SYNC_PROGRESS_QUERY);

interface SyncState {
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
  const { prepareSync, finishSync } = proxyActivities<Activities>(apiActivityOptions(args.activityTimeoutMs));
  const pagesOptions = syncPagesActivityOptions(args.activityTimeoutMs);
  const { syncPages } = proxyActivities<Activities>(pagesOptions);
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
    const batch: PagesResult = await withRateLimitWaits(
      () =>
        syncPages.executeWithOptions(
          { ...pagesOptions, summary: `${kind} of ${args.repository}, up to ${args.pagesPerActivity} pages` },
          [
            {
              repository: args.repository,
              installation: target.installation,
              kind,
              url,
              maxPages: args.pagesPerActivity,
              maxMs: args.activityTimeoutMs,
            },
          ],
        ),
      onWait,
    );
    state.pageMs += Date.now() - started;
    pagesThisRun += batch.pages;
    c.pages += batch.pages;
    c.requests += batch.requests;
    c.retries += batch.attempt - 1;
    c[kind] += batch.stored;
    c.notModified += batch.notModified;
    if (batch.pacedMs > 0) c.waitedMs += batch.pacedMs;
    if (batch.expect) {
      state.expect = {
        pulls: (state.expect?.pulls ?? 0) + batch.expect.pulls,
        comments: (state.expect?.comments ?? 0) + batch.expect.comments,
      };
    }
    if (batch.budgetRemaining !== null) {
      state.budget = { remaining: batch.budgetRemaining, resetAt: batch.budgetResetAt };
    }
    state.next = batch.next;
    if (batch.next === null) state.kindIndex += 1;
    if (batch.waitMs > 0) {
      onWait(batch.waitMs);
      await sleep(batch.waitMs);
    }
  }
  const summary = progress();
  await finishSync(args, summary);
  return summary;
}
