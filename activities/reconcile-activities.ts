// One file though over 300 lines: listing a hook's log, judging it and asking for redeliveries share
// one source's state and caller; split, each part would need the others' internals.
// Reconciliation against GitHub's delivery log, as the reconcileDeliveries workflow drives it: list
// one hook's log down to its watermark (minus an overlap) and judge each GUID against the ledger;
// ask GitHub to send one missed delivery again (one activity per request, so a retry repeats no
// other); then move the watermark over what the pass fully processed and count the findings.
// https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries
// One file over 300 lines on purpose: its four activities share the claim protocol (claim, send,
// settle or release) and the caller set-up; the pure parts already live in reconcile/.
import { Context, log, type Info } from '@temporalio/activity';
import {
  DEFAULT_MAX_PAGES_PER_SCAN,
  REDELIVERY_WINDOW_MS,
  WATERMARK_OVERLAP_MS,
  type MissedDelivery,
  type ReconcileSource,
  type ScanResult,
} from '../lib/contracts/reconcile';
import { ReplayRefused, replayDelivery } from '../lib/replay';
import { outcomesOf } from '../lib/storage/ledger';
import {
  advanceWatermark,
  askedFor,
  claimRedelivery,
  claimReplay,
  noteGap,
  purgeRedeliveries,
  readWatermark,
  recordExpired,
  releaseRedelivery,
  releaseReplay,
  replayedFor,
  settleRedelivery,
  settleReplay,
  type RedeliveryState,
} from '../lib/storage/reconcile-state';
import type { ActivityDeps } from './activity-deps';
import { beat } from './attempt-state';
import { githubCaller } from './github-call';
import { ApiError } from './github/api-error';
import type { ErrorKind } from './github/classify';
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
/**
 * Answers that say GitHub did not act on the request (a 5xx, a rate limit, a busy installation,
 * credentials it refused): the claim is released for a later attempt. Any other failure — no answer,
 * the activity cancelled mid-request (a worker shutting down), an error of unknown kind — may have
 * reached GitHub, so the request counts as made.
 */
const NOT_ACTED_ON: ReadonlySet<ErrorKind> = new Set([
  'rate-limited',
  'busy',
  'server',
  'unauthorized',
  'forbidden',
]);
/** GitHub refused this delivery (too old, gone): asking again would be refused again. */
const REFUSED: ReadonlySet<ErrorKind> = new Set(['validation', 'not-found', 'client']);

export type RedeliveryOutcome = 'sent' | 'refused' | 'unconfirmed' | 'already' | 'in-flight';

/** Who holds a claim: the pass (workflow run), and for a request the activity of that pass. */
const passOf = (info: Info) => `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}`;
const activityOf = (info: Info) => `${passOf(info)}/${info.activityId}`;

export function createReconcileActivities(
  deps: Pick<ActivityDeps, 'store' | 'github' | 'api' | 'metrics' | 'reconcileSources' | 'temporal'>,
) {
  const { store } = deps;
  const { github, call, policy } = githubCaller(deps);
  const callerOf = (source: ReconcileSource) => (source.asApp ? APP_CALLER : 'token');

  /** Lists the log newest first down to `floor`; `complete` is false when it stopped before reaching it. */
  async function listLog(
    source: ReconcileSource,
    floor: number,
    maxPages: number,
  ): Promise<{ seen: LoggedAttempt[]; complete: boolean }> {
    const signal = Context.current().cancellationSignal;
    const seen: LoggedAttempt[] = [];
    const listed = new Set<string>();
    let url: string | undefined = `${source.deliveriesPath}?per_page=100`;
    let pages = 0;
    let unreadable = 0;
    let complete = true;
    // Heartbeat while a page is waited for too (its turn, pacing, a slow answer), not only between pages.
    const beating = setInterval(() => beat({ pages }), 1_000);
    try {
      while (url !== undefined) {
        if (pages >= maxPages) {
          log.warn(
            `the delivery log of ${source.key} has more than ${maxPages} pages above the watermark: listing stopped there; the watermark stays and the next pass lists it again`,
            { source: source.key, pages },
          );
          complete = false;
          break;
        }
        const pageUrl: string = url;
        listed.add(pageUrl);
        const res = await call(() =>
          github().request<unknown[]>({
            url: pageUrl,
            route: source.route,
            installation: callerOf(source),
            asApp: source.asApp,
            requestId: `reconcile:${source.key}`,
            // A scan is a job: it stops early, so its work is never known, and it keeps off the reserve.
            job: { requestsLeft: undefined },
            signal,
          }),
        );
        pages += 1;
        beat({ pages });
        const items = Array.isArray(res.data) ? res.data : [];
        if (items.length === 0) {
          if (res.next !== undefined) {
            log.warn(
              `GitHub answered an empty page of ${source.key}'s delivery log that names a next one: listing stopped; the watermark stays`,
              { source: source.key, pages },
            );
            complete = false;
          }
          break;
        }
        const page = items.map(loggedAttempt).filter((a): a is LoggedAttempt => a !== undefined);
        unreadable += items.length - page.length;
        seen.push(...page.filter((a) => a.deliveredAt >= floor));
        if (listBelow(page, floor)) break;
        if (res.next !== undefined && listed.has(res.next)) {
          log.warn(
            `GitHub named a page of ${source.key}'s delivery log already listed as the next one: listing stopped; the watermark stays`,
            { source: source.key, pages },
          );
          complete = false;
          break;
        }
        url = res.next;
      }
    } finally {
      clearInterval(beating);
    }
    if (unreadable > 0)
      log.warn(
        `${unreadable} items of ${source.key}'s delivery log lacked a usable id, GUID or time: skipped`,
        {
          source: source.key,
        },
      );
    return { seen, complete };
  }

  return {
    /** The hooks this worker's configuration lets it list. */
    reconcileSources(): Promise<ReconcileSource[]> {
      return Promise.resolve(deps.reconcileSources ?? []);
    },

    /**
     * Lists one hook's log newest first down to the floor, and judges each GUID in it. Unless it is a
     * dry run, GUIDs found past GitHub's window are recorded, so each is counted once.
     */
    async scanDeliveries(p: {
      source: ReconcileSource;
      since?: string | undefined;
      dryRun?: boolean | undefined;
      maxPages?: number | undefined;
      replayFailed?: boolean | undefined;
      /** A claim left `sending` longer than this is a dead worker's: its GUID is asked for again. */
      claimStaleAfterMs?: number | undefined;
    }): Promise<ScanResult> {
      const { source } = p;
      const info = Context.current().info;
      const listedAt = Date.now();
      const windowStart = listedAt - REDELIVERY_WINDOW_MS;
      const watermark = await readWatermark(store.db, source.key);
      // Where the next pass would start anyway: the last watermark (minus the overlap), or the
      // whole window the first time.
      const usualFloor = watermark ? watermark.getTime() - WATERMARK_OVERLAP_MS : windowStart;
      const floor = p.since !== undefined ? Date.parse(p.since) : usualFloor;
      const { seen, complete } = await listLog(source, floor, p.maxPages ?? DEFAULT_MAX_PAGES_PER_SCAN);

      const groups = groupByGuid(seen);
      const guids = [...groups.keys()];
      const outcomes = await outcomesOf(store.db, PROVIDER, source.ledgerSource, guids);
      const asked = await askedFor(store.db, source.key, guids);
      const staleBefore = listedAt - (p.claimStaleAfterMs ?? Infinity);
      const missed: (MissedDelivery & { at: number })[] = [];
      const found = {
        failedInHookflow: [] as string[],
        stillFailing: [] as string[],
        unrecoverable: [] as { guid: string; attemptId: string }[],
      };
      let answeredLate = 0;
      let inFlight = 0;
      for (const [guid, attempts] of groups) {
        const request = asked.get(guid);
        const stale = request?.state === 'sending' && request.askedAt.getTime() < staleBefore;
        const state: RedeliveryState | undefined = stale ? undefined : request?.state;
        const verdict = verdictOf(
          attempts,
          { outcome: outcomes.get(guid), asked: state },
          listedAt,
          REDELIVERY_WINDOW_MS,
        );
        const attempt = attemptToRedeliver(attempts);
        if (verdict === 'missed') {
          if (stale)
            log.warn('a claim left by a worker that died is taken again', { guid, source: source.key });
          missed.push({ guid, attemptId: attempt.id, at: Math.min(...attempts.map((a) => a.deliveredAt)) });
        } else if (verdict === 'failed-in-hookflow') found.failedInHookflow.push(guid);
        else if (verdict === 'still-failing') found.stillFailing.push(guid);
        else if (verdict === 'unrecoverable') found.unrecoverable.push({ guid, attemptId: attempt.id });
        else if (verdict === 'answered-late') answeredLate += 1;
        else if (verdict === 'in-flight') inFlight += 1;
      }
      // The oldest first: they leave GitHub's window soonest.
      missed.sort((a, b) => a.at - b.at);
      const unrecoverableNew = p.dryRun
        ? found.unrecoverable.length
        : await recordExpired(store.db, source.key, found.unrecoverable, passOf(info));
      const replayedBefore = p.replayFailed
        ? await replayedFor(store.db, source.key, found.failedInHookflow)
        : new Set<string>();
      const toReplay = p.replayFailed ? found.failedInHookflow.filter((g) => !replayedBefore.has(g)) : [];
      const truncated =
        !complete || missed.length > MAX_REQUESTS_PER_PASS || toReplay.length > MAX_REQUESTS_PER_PASS;
      // The watermark moves to when the listing began (every delivery before it was on the pages,
      // or shows up late within the overlap), but only when this pass reached where the next one
      // would start, asks for every GUID it found missed, and no other pass is asking for one of them.
      const advanceTo =
        !truncated && inFlight === 0 && floor <= usualFloor ? new Date(listedAt).toISOString() : null;
      return {
        source: source.key,
        scanned: groups.size,
        missed: missed.slice(0, MAX_REQUESTS_PER_PASS).map(({ guid, attemptId }) => ({ guid, attemptId })),
        failedInHookflow: found.failedInHookflow.slice(0, SAMPLES),
        failedInHookflowCount: found.failedInHookflow.length,
        toReplay: toReplay.slice(0, MAX_REQUESTS_PER_PASS),
        inFlight,
        answeredLate,
        stillFailing: found.stillFailing.slice(0, SAMPLES),
        stillFailingCount: found.stillFailing.length,
        unrecoverable: found.unrecoverable.slice(0, SAMPLES).map((u) => u.guid),
        unrecoverableCount: found.unrecoverable.length,
        unrecoverableNew,
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
     * that may have reached GitHub counts as asked (`unconfirmed`), and only an answer saying GitHub
     * did not act on it releases the claim for a later attempt. A retry of this activity finds how
     * its earlier attempt ended, or takes its claim again if that attempt died before asking.
     */
    async requestRedelivery(p: {
      source: ReconcileSource;
      missed: MissedDelivery;
    }): Promise<RedeliveryOutcome> {
      const { source, missed } = p;
      const info = Context.current().info;
      const claim = await claimRedelivery(store.db, {
        source: source.key,
        guid: missed.guid,
        attemptId: missed.attemptId,
        claimant: activityOf(info),
        // Twice the activity's timeout: no attempt that made the claim can still be running.
        staleAfterMs: 2 * info.startToCloseTimeoutMs,
      });
      if (!claim.taken) {
        if (
          claim.mine &&
          (claim.state === 'sent' || claim.state === 'refused' || claim.state === 'unconfirmed')
        )
          return claim.state;
        return claim.state === 'sending' ? 'in-flight' : 'already';
      }
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
        if (err instanceof ApiError && NOT_ACTED_ON.has(err.kind)) {
          await releaseRedelivery(store.db, source.key, missed.guid);
          throw toTemporalFailure(err, policy);
        }
        if (err instanceof ApiError && REFUSED.has(err.kind)) {
          await settleRedelivery(store.db, source.key, missed.guid, 'refused', err.message);
          log.warn('GitHub refused the redelivery', { guid: missed.guid, error: err.message });
          return 'refused';
        }
        const reason = err instanceof Error ? err.message : String(err);
        await settleRedelivery(store.db, source.key, missed.guid, 'unconfirmed', reason);
        log.warn('redelivery request may have reached GitHub without an answer: counted as asked', {
          guid: missed.guid,
          error: reason,
        });
        return 'unconfirmed';
      }
      await settleRedelivery(store.db, source.key, missed.guid, 'sent');
      deps.metrics?.recordReconcileRedelivered(1);
      return 'sent';
    },

    /**
     * Replays failed-in-hookflow deliveries of one hook, each once: claimed first, so neither a retry
     * nor a later pass replays it again. A delivery running now, or no longer replayable, is kept as
     * refused (with the reason) and left to `hookflow replay`.
     */
    async replayFailedDeliveries(p: { source: ReconcileSource; guids: string[] }): Promise<number> {
      const temporal = deps.temporal;
      if (!temporal) throw new Error('replaying failed deliveries needs the worker’s Temporal client');
      const ctx = Context.current();
      const claimant = activityOf(ctx.info);
      let replayed = 0;
      for (const guid of p.guids) {
        ctx.heartbeat(guid);
        if (!(await claimReplay(store.db, p.source.key, guid, claimant))) continue;
        const delivery = (await store.findDeliveries(guid)).find(
          (d) => d.source === p.source.ledgerSource && (d.status === 'failed' || d.status === 'dead'),
        );
        if (!delivery) {
          await settleReplay(store.db, p.source.key, guid, { state: 'refused', reason: 'no longer failed' });
          continue;
        }
        try {
          const r = await replayDelivery({ ...temporal, store }, delivery, { force: false });
          await settleReplay(store.db, p.source.key, guid, { state: 'replayed', runId: r.runId });
          deps.metrics?.recordReplay('started');
          log.info('failed delivery replayed by the reconciler', { guid, runId: r.runId });
          replayed += 1;
        } catch (err) {
          if (!(err instanceof ReplayRefused)) {
            await releaseReplay(store.db, p.source.key, guid);
            throw err;
          }
          await settleReplay(store.db, p.source.key, guid, { state: 'refused', reason: err.message });
          deps.metrics?.recordReplay('refused');
          log.warn('failed delivery not replayed', { guid, reason: err.message });
        }
      }
      return replayed;
    },

    /** Moves the hook's watermark (when the pass processed everything it found) and counts the findings. */
    async finishReconcileSource(p: {
      source: string;
      dryRun: boolean;
      advanceTo: string | null;
      missed: number;
      /** GUIDs past the window that no earlier pass had counted. */
      unrecoverable: number;
      /** The watermark below which the gap opened, when there is one. */
      gapFrom: string | null;
    }): Promise<void> {
      if (p.dryRun) return;
      // Counted once per watermark: a pass that cannot move the watermark finds the same gap again.
      const newGap = p.gapFrom !== null && (await noteGap(store.db, p.source, new Date(p.gapFrom)));
      if (p.advanceTo !== null) await advanceWatermark(store.db, p.source, new Date(p.advanceTo));
      // A request older than twice the window concerns a delivery GitHub no longer lists.
      await purgeRedeliveries(store.db, 2 * REDELIVERY_WINDOW_MS);
      deps.metrics?.recordReconcileMissed(p.missed);
      deps.metrics?.recordReconcileUnrecoverable('expired', p.unrecoverable);
      if (newGap) deps.metrics?.recordReconcileUnrecoverable('gap', 1);
    },
  };
}
