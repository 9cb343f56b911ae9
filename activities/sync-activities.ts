// A repository's sync, as the syncRepository workflow drives it: find where to fetch from, fetch the
// listings page by page into the tables, then record the finished sync and keep its reconciliation
// schedule. The schedule's action, startSync, starts the same one job per repository.
import { activityInfo, ApplicationFailure, Context, log } from '@temporalio/activity';
import { FAILURE } from '../lib/contracts/failure-types';
import {
  countRows,
  getSyncTarget,
  installationOf,
  markSynced,
  saveSyncTarget,
} from '../lib/storage/repo-data';
import { deleteCheckpoints, readCheckpoint, writeCheckpoint } from '../lib/storage/sync-checkpoints';
import type { SyncArgs, SyncKind, SyncProgress } from '../lib/contracts/sync-progress';
import { startSyncJob, syncWorkflowId } from '../lib/sync-client';
import type { ActivityDeps } from './activity-deps';
import { beat } from './attempt-state';
import { toTemporalFailure } from './to-temporal-failure';
import { githubCaller } from './github-call';
import { ApiError } from './github/api-error';
import type { ApiResponse } from './github/client';
import { apiRoute, keepOnApiOrWarn } from './keep-on-api';
import { keepResyncSchedule } from './sync/resync-schedule';
import { storePage } from './sync/store-page';

export interface SyncTargetResult {
  installation: string;
  repoUrl: string;
}

/** What one listing activity did: a run of pages along the Link cursor, stored as it went. */
export interface PagesResult {
  pages: number;
  stored: number;
  notModified: number;
  requests: number;
  /** Time the client spent pacing before requests. */
  pacedMs: number;
  next: string | null;
  /** A rate limit met after some pages: the workflow waits this long (a timer), then goes on at `next`. */
  waitMs: number;
  attempt: number;
  budgetRemaining: number | null;
  budgetResetAt: string | null;
  /** From the issues listing: how many pull requests and comments the later listings should bring. */
  expect: { pulls: number; comments: number } | undefined;
}

type Totals = Omit<PagesResult, 'next' | 'waitMs' | 'attempt'>;

const PROVIDER = 'github';

export function createSyncActivities(deps: ActivityDeps) {
  const { store, logger, api } = deps;
  const { github, call, policy } = githubCaller(deps);

  return {
    /** Finds the installation and the repository's API URL as GitHub gives it; a renamed repository's new URL is stored. */
    async prepareSync(args: SyncArgs): Promise<SyncTargetResult> {
      const target = await getSyncTarget(store.db, PROVIDER, args.repository);
      const installation =
        args.installation ??
        target?.installation ??
        (await installationOf(store.db, PROVIDER, args.repository)) ??
        (api.token ? 'token' : undefined);
      if (!installation) {
        throw ApplicationFailure.nonRetryable(
          `repository ${args.repository} is in no installation hookflow knows: install the App on it, or pass --installation`,
          FAILURE.notFound,
        );
      }
      const where = { repository: args.repository };
      // A target stored under an earlier GITHUB_API_URL is not followed (see keep-on-api.ts).
      const ownRoute = apiRoute(deps.githubApiUrl, `/repos/${args.repository}`);
      const known = keepOnApiOrWarn(logger, deps.githubApiUrl, target?.apiUrl, ownRoute, where);
      const res = await call(() =>
        github().request<{ url?: unknown }>({
          url: known,
          route: '/repos/{owner}/{repo}',
          installation,
          requestId: syncWorkflowId(args.repository),
          conditional: true,
        }),
      );
      const answered = typeof res.data.url === 'string' ? res.data.url : undefined;
      const repoUrl = keepOnApiOrWarn(logger, deps.githubApiUrl, answered, known, where);
      if (repoUrl !== known && target) {
        logger.warn(
          { repository: args.repository, from: known, to: repoUrl },
          'repository moved: stored URL updated',
        );
      }
      await saveSyncTarget(store.db, PROVIDER, { fullName: args.repository, installation, apiUrl: repoUrl });
      return { installation, repoUrl };
    },

    /**
     * Pages of one listing, from `url` along the Link cursor, until `maxPages` or `maxMs`. Each page
     * is stored in one transaction with the activity's checkpoint, so a retry after a crash resumes
     * after the last stored page. A 304 page is stored again from the cache (see storePage).
     */
    async syncPages(p: {
      repository: string;
      installation: string;
      kind: SyncKind;
      url: string;
      maxPages: number;
      maxMs: number;
    }): Promise<PagesResult> {
      const info = activityInfo();
      const workflowId = info.workflowExecution?.workflowId ?? syncWorkflowId(p.repository);
      const jobKey = `${workflowId}:${info.workflowExecution?.runId ?? '-'}:${info.activityId}`;
      const signal = Context.current().cancellationSignal;
      const repository = p.repository.toLowerCase();
      const started = Date.now();
      const saved = await readCheckpoint<Totals>(store.db, jobKey);
      const totals: Totals = saved?.totals ?? {
        pages: 0,
        stored: 0,
        notModified: 0,
        requests: 0,
        pacedMs: 0,
        budgetRemaining: null,
        budgetResetAt: null,
        expect: p.kind === 'issues' ? { pulls: 0, comments: 0 } : undefined,
      };
      let next: string | null = saved ? saved.next : p.url;
      // This listing's pages still to fetch, once a page has said (page-numbered listings do).
      let pagesLeft: number | undefined;
      let waitMs = 0;
      // Heartbeat while a page is waited for too (its turn, pacing, a slow answer), not only between pages.
      const beating = setInterval(() => beat({ pages: totals.pages }), 1_000);
      try {
        while (next !== null && totals.pages < p.maxPages && Date.now() - started < p.maxMs) {
          const url: string = next;
          let res: ApiResponse<unknown[]>;
          try {
            res = await github().request<unknown[]>({
              url,
              route:
                p.kind === 'comments'
                  ? '/repos/{owner}/{repo}/issues/comments'
                  : `/repos/{owner}/{repo}/${p.kind}`,
              installation: p.installation,
              requestId: workflowId,
              conditional: true,
              job: { requestsLeft: pagesLeft },
              signal,
            });
          } catch (err) {
            // After some progress, a rate limit ends the batch: the workflow's timer does the waiting.
            if (totals.pages > 0 && err instanceof ApiError && err.kind === 'rate-limited') {
              waitMs = err.details.waitMs ?? api.retryWaitMs;
              break;
            }
            throw toTemporalFailure(err, policy);
          }
          const items = Array.isArray(res.data) ? res.data : [];
          totals.pages += 1;
          totals.requests += 1;
          totals.pacedMs += res.waitedMs;
          if (res.fromCache) totals.notModified += 1;
          if (res.rateLimit) {
            totals.budgetRemaining = res.rateLimit.remaining;
            totals.budgetResetAt = new Date(res.rateLimit.resetAt).toISOString();
          }
          if (totals.expect) {
            for (const i of items as { pull_request?: unknown; comments?: unknown }[]) {
              if (i.pull_request !== undefined) totals.expect.pulls += 1;
              totals.expect.comments += Number(i.comments) || 0;
            }
          }
          next = res.next ?? null;
          pagesLeft = res.pagesAfter;
          const cursor = next;
          const stored = await store.db.transaction(async (tx) => {
            const n = await storePage(tx, repository, p.kind, items);
            totals.stored += n;
            await writeCheckpoint(tx, jobKey, workflowId, { next: cursor, totals });
            return n;
          });
          deps.metrics?.recordSyncItems(p.kind, stored);
          beat({ pages: totals.pages });
        }
      } finally {
        clearInterval(beating);
      }
      return { ...totals, next, waitMs, attempt: info.attempt };
    },

    /**
     * Records the finished sync, and makes sure a schedule re-syncs the repository: webhooks keep
     * the tables current, and the schedule is the reconciliation that catches a missed delivery.
     */
    async finishSync(args: SyncArgs, summary: SyncProgress): Promise<string> {
      await markSynced(store.db, PROVIDER, args.repository, summary);
      await deleteCheckpoints(store.db, syncWorkflowId(args.repository));
      const counts = await countRows(store.db, PROVIDER, args.repository.toLowerCase());
      log.info('sync finished', { repository: args.repository, ...counts });
      if (!deps.temporal || api.resyncIntervalMinutes === 0) return 'no reconciliation schedule';
      if (!(await getSyncTarget(store.db, PROVIDER, args.repository))) {
        return 'no reconciliation schedule: the repository was uninstalled meanwhile';
      }
      await keepResyncSchedule(deps.temporal, args, api.resyncIntervalMinutes);
      return `re-synced every ${api.resyncIntervalMinutes} minutes`;
    },

    /** The schedule's action: start the sync, or attach to the one running (never two at once). */
    async startSync(args: SyncArgs): Promise<string> {
      if (!deps.temporal)
        throw ApplicationFailure.nonRetryable('no Temporal client for starting syncs', FAILURE.notConfigured);
      const handle = await startSyncJob(deps.temporal.client, deps.temporal.taskQueue, args);
      return handle.firstExecutionRunId;
    },
  };
}
