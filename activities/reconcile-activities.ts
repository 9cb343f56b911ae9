// Reconciliation against GitHub's delivery log, as the reconcileDeliveries workflow drives it: list
// one hook's log down to its watermark (minus an overlap) and judge each GUID against the ledger;
// ask GitHub to send one missed delivery again (one activity per request, so a retry repeats no
// other); then move the watermark over what the pass fully processed and count the findings.
// https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries
import { Context, log } from '@temporalio/activity';
import {
  REDELIVERY_WINDOW_MS,
  WATERMARK_OVERLAP_MS,
  type MissedDelivery,
  type ReconcileSource,
  type ScanResult,
} from '../lib/contracts/reconcile';
import { outcomesOf } from '../lib/storage/ledger';
import {
  advanceWatermark,
  askedFor,
  claimRedelivery,
  purgeRedeliveries,
  readWatermark,
  releaseRedelivery,
  settleRedelivery,
} from '../lib/storage/reconcile-state';
import type { ActivityDeps } from './activity-deps';
import { beat } from './attempt-state';
import { githubCaller } from './github-call';
import { ApiError } from './github/api-error';
import { toTemporalFailure } from './to-temporal-failure';
import { APP_CALLER, PROVIDER } from './github/client';
import {
  attemptToRedeliver,
  groupByGuid,
  listBelow,
  loggedAttempt,
  verdictOf,
  type LoggedAttempt,
} from './reconcile/classify-deliveries';

/** Requests one pass makes at most per hook (a second apart, as mutations go); the next pass asks for the rest. */
const MAX_REQUESTS_PER_PASS = 500;
/** GUIDs of each finding the summary names; the counts are whole. */
const SAMPLES = 20;

export type RedeliveryOutcome = 'sent' | 'refused' | 'unconfirmed' | 'already';

export function createReconcileActivities(
  deps: Pick<ActivityDeps, 'store' | 'github' | 'api' | 'metrics' | 'reconcileSources'>,
) {
  const { store } = deps;
  const { github, call, policy } = githubCaller(deps);
  const callerOf = (source: ReconcileSource) => (source.asApp ? APP_CALLER : 'token');

  return {
    /** The hooks this worker's configuration lets it list. */
    reconcileSources(): Promise<ReconcileSource[]> {
      return Promise.resolve(deps.reconcileSources ?? []);
    },

    /** Lists one hook's log newest first down to the floor, and judges each GUID in it. */
    async scanDeliveries(p: { source: ReconcileSource; since?: string | undefined }): Promise<ScanResult> {
      const { source } = p;
      const signal = Context.current().cancellationSignal;
      const listedAt = Date.now();
      const windowStart = listedAt - REDELIVERY_WINDOW_MS;
      const watermark = await readWatermark(store.db, source.key);
      // Where the next pass would start anyway: the last watermark (minus the overlap), or the
      // whole window the first time.
      const usualFloor = watermark ? watermark.getTime() - WATERMARK_OVERLAP_MS : windowStart;
      const floor = p.since !== undefined ? Date.parse(p.since) : usualFloor;

      const seen: LoggedAttempt[] = [];
      let url: string | undefined = `${source.deliveriesPath}?per_page=100`;
      let pages = 0;
      // Heartbeat while a page is waited for too (its turn, pacing, a slow answer), not only between pages.
      const beating = setInterval(() => beat({ pages }), 1_000);
      try {
        while (url !== undefined) {
          const pageUrl: string = url;
          const res = await call(() =>
            github().request<unknown[]>({
              url: pageUrl,
              route: source.route,
              installation: callerOf(source),
              asApp: source.asApp,
              requestId: `reconcile:${source.key}`,
              signal,
            }),
          );
          const page = (Array.isArray(res.data) ? res.data : [])
            .map(loggedAttempt)
            .filter((a): a is LoggedAttempt => a !== undefined);
          seen.push(...page.filter((a) => a.deliveredAt >= floor));
          pages += 1;
          beat({ pages });
          url = listBelow(page, floor) ? undefined : res.next;
        }
      } finally {
        clearInterval(beating);
      }

      const groups = groupByGuid(seen);
      const guids = [...groups.keys()];
      const outcomes = await outcomesOf(store.db, PROVIDER, source.ledgerSource, guids);
      const asked = await askedFor(store.db, source.key, guids);
      const missed: (MissedDelivery & { at: number })[] = [];
      const found = {
        failedInHookflow: [] as string[],
        stillFailing: [] as string[],
        unrecoverable: [] as string[],
      };
      let answeredLate = 0;
      for (const [guid, attempts] of groups) {
        const verdict = verdictOf(
          attempts,
          { outcome: outcomes.get(guid), asked: asked.get(guid) },
          listedAt,
          REDELIVERY_WINDOW_MS,
        );
        if (verdict === 'missed') {
          const attempt = attemptToRedeliver(attempts);
          missed.push({ guid, attemptId: attempt.id, at: Math.min(...attempts.map((a) => a.deliveredAt)) });
        } else if (verdict === 'failed-in-hookflow') found.failedInHookflow.push(guid);
        else if (verdict === 'still-failing') found.stillFailing.push(guid);
        else if (verdict === 'unrecoverable') found.unrecoverable.push(guid);
        else if (verdict === 'answered-late') answeredLate += 1;
      }
      // The oldest first: they leave GitHub's window soonest.
      missed.sort((a, b) => a.at - b.at);
      const truncated = missed.length > MAX_REQUESTS_PER_PASS;
      // The watermark moves to when the listing began (every delivery before it was on the pages,
      // or shows up late within the overlap), but only when this pass reached where the next one
      // would start, and asks for every GUID it found missed.
      const advanceTo = !truncated && floor <= usualFloor ? new Date(listedAt).toISOString() : null;
      return {
        source: source.key,
        scanned: groups.size,
        missed: missed.slice(0, MAX_REQUESTS_PER_PASS).map(({ guid, attemptId }) => ({ guid, attemptId })),
        failedInHookflow: found.failedInHookflow.slice(0, SAMPLES),
        failedInHookflowCount: found.failedInHookflow.length,
        answeredLate,
        stillFailing: found.stillFailing.slice(0, SAMPLES),
        stillFailingCount: found.stillFailing.length,
        unrecoverable: found.unrecoverable.slice(0, SAMPLES),
        unrecoverableCount: found.unrecoverable.length,
        gap:
          watermark && watermark.getTime() < windowStart
            ? { from: watermark.toISOString(), to: new Date(windowStart).toISOString() }
            : null,
        truncated,
        advanceTo,
        listedFrom: new Date(floor).toISOString(),
      };
    },

    /**
     * Asks GitHub to send one missed delivery again (`POST …/deliveries/{id}/attempts`), paced as a
     * mutation by the client. The GUID is claimed first, so it is asked for at most once: a request
     * whose answer was lost counts as asked (`unconfirmed`), and only an answer saying GitHub did
     * not send it (a 5xx, a rate limit, lost access) releases the claim for a later attempt.
     */
    async requestRedelivery(p: {
      source: ReconcileSource;
      missed: MissedDelivery;
    }): Promise<RedeliveryOutcome> {
      const { source, missed } = p;
      if (!(await claimRedelivery(store.db, source.key, missed.guid, missed.attemptId))) return 'already';
      try {
        await github().request({
          method: 'POST',
          url: `${source.deliveriesPath}/${encodeURIComponent(missed.attemptId)}/attempts`,
          route: `${source.route}/{delivery_id}/attempts`,
          installation: callerOf(source),
          asApp: source.asApp,
          requestId: `reconcile:${source.key}:${missed.guid}`,
          signal: Context.current().cancellationSignal,
        });
      } catch (err) {
        if (err instanceof ApiError && err.kind === 'network') {
          log.warn('redelivery request got no answer: counted as asked', { guid: missed.guid });
          return 'unconfirmed';
        }
        if (err instanceof ApiError && ['validation', 'not-found', 'client'].includes(err.kind)) {
          // GitHub refuses this delivery (too old, gone): asking again would be refused again.
          await settleRedelivery(store.db, source.key, missed.guid, 'refused', err.message);
          log.warn('GitHub refused the redelivery', { guid: missed.guid, error: err.message });
          return 'refused';
        }
        await releaseRedelivery(store.db, source.key, missed.guid);
        throw toTemporalFailure(err, policy);
      }
      await settleRedelivery(store.db, source.key, missed.guid, 'sent');
      deps.metrics?.recordReconcileRedelivered(1);
      return 'sent';
    },

    /** Moves the hook's watermark (when the pass processed everything it found) and counts the findings. */
    async finishReconcileSource(p: {
      source: string;
      dryRun: boolean;
      advanceTo: string | null;
      missed: number;
      unrecoverable: number;
      gap: boolean;
    }): Promise<void> {
      if (p.dryRun) return;
      if (p.advanceTo !== null) await advanceWatermark(store.db, p.source, new Date(p.advanceTo));
      // A request older than twice the window concerns a delivery GitHub no longer lists.
      await purgeRedeliveries(store.db, 2 * REDELIVERY_WINDOW_MS);
      deps.metrics?.recordReconcileMissed(p.missed);
      deps.metrics?.recordReconcileUnrecoverable('expired', p.unrecoverable);
      if (p.gap) deps.metrics?.recordReconcileUnrecoverable('gap', 1);
    },
  };
}
