// Activities that call GitHub, through the one client. Every API error leaves here as a Temporal
// failure made by toFailure (activities/api-failure.ts), nowhere else.
import { activityInfo, ApplicationFailure, Context, log } from '@temporalio/activity';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { FAILURE } from '../lib/api-failures';
import { startSyncJob } from '../lib/sync-client';
import type { ApiConfig } from '../lib/config';
import type { DeliveryRef } from '../lib/delivery';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/telemetry/metrics';
import type { Store } from '../lib/storage';
import {
  countRows,
  deleteCheckpoints,
  deleteRow,
  getSyncTarget,
  installationOf,
  markSynced,
  readCheckpoint,
  saveSyncTarget,
  upsertComments,
  upsertIssues,
  upsertPulls,
  writeCheckpoint,
} from '../lib/storage/repo-data';
import type { Queryable } from '../lib/storage/db';
import {
  resyncScheduleId,
  syncWorkflowId,
  type SyncArgs,
  type SyncKind,
  type SyncProgress,
} from '../lib/sync';
import { beat, toFailure } from './api-failure';
import { ApiError } from './github/api-error';
import type { ApiResponse, GitHubClient } from './github/client';
import { loadPayload } from './payload';
import { commentRow, issueRow, pullRow } from './sync/project';

export interface GitHubActivityDeps {
  store: Store;
  logger: Logger;
  github: GitHubClient | undefined;
  api: ApiConfig;
  githubApiUrl: string;
  metrics?: Pick<Metrics, 'recordSyncItems'> | undefined;
  /** For the reconciliation schedule and its starts; absent in tests that do not need them. */
  temporal?: { client: Client; taskQueue: string } | undefined;
}

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

export const WELCOME_MARKER = '<!-- hookflow:welcome -->';
const PROVIDER = 'github';

export function createGitHubActivities(deps: GitHubActivityDeps) {
  const { store, logger, api } = deps;
  const github = (): GitHubClient => {
    if (!deps.github) {
      throw ApplicationFailure.nonRetryable(
        'hookflow has no GitHub credentials: set APP_ID and PRIVATE_KEY (App mode) or GITHUB_TOKEN',
        FAILURE.notConfigured,
      );
    }
    return deps.github;
  };
  const policy = { backoffBaseMs: api.backoffBaseMs, retryWaitMs: api.retryWaitMs };
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toFailure(err, policy);
    }
  }
  const payloadObject = (payload: Record<string, unknown>, field: string) => {
    const v = payload[field];
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  };
  const repoKey = (ref: DeliveryRef) => (ref.repository ?? '').toLowerCase();
  /** A URL of the delivery's issue, as the payload gives it, and the installation to call with (token mode: `token`). */
  async function issueTarget(ref: DeliveryRef, field: 'labels_url' | 'comments_url') {
    const value = payloadObject(await loadPayload(store, ref.key), 'issue')?.[field];
    return {
      url: typeof value === 'string' ? value : undefined,
      installation: ref.installation ?? (api.token ? 'token' : undefined),
    };
  }

  /**
   * Stores one page's items; returns how many the page holds. A 304 page is stored again from the
   * cache: its rows may have been lost after the cache entry was written (a crash in between), and
   * the upserts never let an older copy overwrite a newer one.
   */
  async function storeItems(q: Queryable, repository: string, kind: SyncKind, items: unknown[]) {
    switch (kind) {
      case 'issues': {
        const rows = items.map(issueRow).filter((r) => r !== undefined);
        await upsertIssues(q, PROVIDER, repository, rows);
        return rows.length;
      }
      case 'pulls': {
        const rows = items.map(pullRow).filter((r) => r !== undefined);
        await upsertPulls(q, PROVIDER, repository, rows);
        return rows.length;
      }
      case 'comments': {
        const rows = items.map(commentRow).filter((r) => r !== undefined);
        await upsertComments(q, PROVIDER, repository, rows);
        return rows.length;
      }
    }
  }

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
      const known = target?.apiUrl ?? `${deps.githubApiUrl}/repos/${args.repository}`;
      const res = await call(() =>
        github().request<{ url?: unknown }>({
          url: known,
          route: '/repos/{owner}/{repo}',
          installation,
          requestId: syncWorkflowId(args.repository),
          conditional: true,
        }),
      );
      const repoUrl = typeof res.data.url === 'string' ? res.data.url : known;
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
     * after the last stored page. A 304 page is stored again from the cache (see storeItems).
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
              signal,
            });
          } catch (err) {
            // After some progress, a rate limit ends the batch: the workflow's timer does the waiting.
            if (totals.pages > 0 && err instanceof ApiError && err.kind === 'rate-limited') {
              waitMs = err.details.waitMs ?? api.retryWaitMs;
              break;
            }
            throw toFailure(err, policy);
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
          const cursor = next;
          const stored = await store.db.transaction(async (tx) => {
            const n = await storeItems(tx, repository, p.kind, items);
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

    /** Records the finished sync, and makes sure a schedule re-syncs the repository as reconciliation (J1). */
    async finishSync(args: SyncArgs, summary: SyncProgress): Promise<string> {
      await markSynced(store.db, PROVIDER, args.repository, summary);
      await deleteCheckpoints(store.db, syncWorkflowId(args.repository));
      const counts = await countRows(store.db, PROVIDER, args.repository.toLowerCase());
      log.info('sync finished', { repository: args.repository, ...counts });
      if (!deps.temporal || api.resyncIntervalMinutes === 0) return 'no reconciliation schedule';
      if (!(await getSyncTarget(store.db, PROVIDER, args.repository))) {
        return 'no reconciliation schedule: the repository was uninstalled meanwhile';
      }
      try {
        await deps.temporal.client.schedule.create({
          scheduleId: resyncScheduleId(args.repository),
          spec: { intervals: [{ every: api.resyncIntervalMinutes * 60_000 }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'reconcileRepository',
            args: [{ ...args }],
            taskQueue: deps.temporal.taskQueue,
          },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
        });
        return `re-synced every ${api.resyncIntervalMinutes} minutes`;
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        // Kept in step with the configured interval, which may have changed since the schedule was made.
        const every = api.resyncIntervalMinutes * 60_000;
        await deps.temporal.client.schedule
          .getHandle(resyncScheduleId(args.repository))
          .update((schedule) => {
            schedule.spec.intervals = [{ every, offset: 0 }];
            return schedule;
          });
        return `re-synced every ${api.resyncIntervalMinutes} minutes`;
      }
    },

    /** The schedule's action: start the sync, or attach to the one running (never two at once). */
    async startSync(args: SyncArgs): Promise<string> {
      if (!deps.temporal)
        throw ApplicationFailure.nonRetryable('no Temporal client for starting syncs', FAILURE.notConfigured);
      const handle = await startSyncJob(deps.temporal.client, deps.temporal.taskQueue, args);
      return handle.firstExecutionRunId;
    },

    /** `issues` webhooks keep the issues table current between syncs. */
    async applyIssueEvent(ref: DeliveryRef): Promise<string> {
      const payload = await loadPayload(store, ref.key);
      const issue = payloadObject(payload, 'issue');
      if (!ref.repository || !issue) return 'no issue to store';
      if (ref.action === 'deleted' && typeof issue.number === 'number') {
        await deleteRow(store.db, 'repo_issues', PROVIDER, repoKey(ref), issue.number);
        return `issue #${issue.number} deleted`;
      }
      const row = issueRow(issue);
      if (!row) return 'issue not stored: the payload lacks its fields';
      await upsertIssues(store.db, PROVIDER, repoKey(ref), [row]);
      return `issue #${row.number} stored`;
    },

    async applyCommentEvent(ref: DeliveryRef): Promise<string> {
      const payload = await loadPayload(store, ref.key);
      const comment = payloadObject(payload, 'comment');
      if (!ref.repository || !comment) return 'no comment to store';
      if (ref.action === 'deleted' && typeof comment.id === 'number') {
        await deleteRow(store.db, 'repo_issue_comments', PROVIDER, repoKey(ref), comment.id);
        return `comment ${comment.id} deleted`;
      }
      const row = commentRow(comment);
      if (!row) return 'comment not stored: the payload lacks its fields';
      await upsertComments(store.db, PROVIDER, repoKey(ref), [row]);
      return `comment ${row.id} stored`;
    },

    async applyPullRequestEvent(ref: DeliveryRef): Promise<string> {
      const payload = await loadPayload(store, ref.key);
      const row = pullRow(payloadObject(payload, 'pull_request'));
      if (!ref.repository || !row) return 'pull request not stored: the payload lacks its fields';
      await upsertPulls(store.db, PROVIDER, repoKey(ref), [row]);
      return `pull request #${row.number} stored`;
    },

    /** Write-back, step 1: label a new issue. Adding a label it already has changes nothing, so a redelivery is harmless. */
    async addWelcomeLabel(ref: DeliveryRef): Promise<string> {
      const label = api.welcome.label;
      if (!label) return ''; // the write-back is off
      const { url: labelsUrl, installation } = await issueTarget(ref, 'labels_url');
      if (!labelsUrl || !installation) return 'no labels URL or installation in the payload';
      await call(() =>
        github().request({
          method: 'POST',
          // The URL as the payload gives it; `{/name}` is its URI-template tail, expanded with no name.
          url: labelsUrl.replace(/\{\/name\}$/, ''),
          route: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
          installation,
          requestId: ref.deliveryId,
          body: { labels: [label] },
        }),
      );
      return `labelled ${label}`;
    },

    /**
     * Write-back, step 2: welcome the issue's author, once. The comment carries a marker, and the
     * issue's comments are read first, so a redelivery or a retry after a lost answer posts no second one.
     */
    async postWelcomeComment(ref: DeliveryRef): Promise<string> {
      const text = api.welcome.comment;
      if (!text) return ''; // the write-back is off
      const { url: commentsUrl, installation } = await issueTarget(ref, 'comments_url');
      if (!commentsUrl || !installation) return 'no comments URL or installation in the payload';
      let url: string | undefined = `${commentsUrl}?per_page=100`;
      while (url) {
        const page: { data: unknown[]; next: string | undefined } = await call(() =>
          github().request<unknown[]>({
            url: url!,
            route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
            installation,
            requestId: ref.deliveryId,
          }),
        );
        if (
          page.data.some((c) => {
            const body = (c as { body?: unknown }).body;
            return typeof body === 'string' && body.includes(WELCOME_MARKER);
          })
        ) {
          return 'welcome comment already posted';
        }
        url = page.next;
      }
      await call(() =>
        github().request({
          method: 'POST',
          url: commentsUrl,
          route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
          installation,
          requestId: ref.deliveryId,
          body: { body: `${text}\n\n${WELCOME_MARKER}` },
          createsContent: true,
        }),
      );
      return 'welcome comment posted';
    },
  };
}

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
