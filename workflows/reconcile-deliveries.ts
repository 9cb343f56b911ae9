// One reconciliation pass against GitHub's delivery log, started by the schedule
// (HOOKFLOW_RECONCILE_INTERVAL_MINUTES) or by `hookflow reconcile`. Per hook: a scan judges every
// GUID of the log since the watermark against the ledger; each missed one is asked for in its own
// activity (a retry repeats no other request); the watermark moves only when every request of the
// pass is done, so a pass that fails midway is picked up by the next, which asks nobody twice. A hook
// whose log cannot be listed is reported in the summary, and the other hooks are still reconciled.
import { ActivityFailure, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileArgs, ReconcileSummary, ScanResult, SourceSummary } from '../lib/contracts/reconcile';
import { apiActivityOptions, DELIVERY_ACTIVITY } from './activity-options';
import { withRateLimitWaits } from './with-rate-limit-waits';

export async function reconcileDeliveries(args: ReconcileArgs): Promise<ReconcileSummary> {
  const { reconcileSources, finishReconcileSource } = proxyActivities<Activities>(DELIVERY_ACTIVITY);
  // A scan pages through the log in one activity, heartbeating after each page.
  const scanOptions = { ...apiActivityOptions(30 * 60_000), heartbeatTimeout: args.activityTimeoutMs };
  const { scanDeliveries } = proxyActivities<Activities>(scanOptions);
  const requestOptions = apiActivityOptions(args.activityTimeoutMs);
  const { requestRedelivery } = proxyActivities<Activities>(requestOptions);
  // Replays are starts on Temporal, one after another, heartbeating after each.
  const replayOptions: ActivityOptions = {
    ...DELIVERY_ACTIVITY,
    startToCloseTimeout: 10 * 60_000,
    heartbeatTimeout: args.activityTimeoutMs,
  };
  const { replayFailedDeliveries } = proxyActivities<Activities>(replayOptions);
  const replayFailed = args.replayFailed === true && !args.dryRun;

  const sources: SourceSummary[] = [];
  const failedSources: ReconcileSummary['failedSources'] = [];
  // Runs from before this step replay as they ran.
  let installations: ReconcileSummary['installations'];
  let installationsError: string | undefined;
  // A dry run asks GitHub for nothing and changes nothing.
  if (!args.dryRun && patched('verify-installations')) {
    // Up to a hundred requests in one activity, heartbeating after each (as a scan does).
    const { verifyInstallations } = proxyActivities<Activities>(scanOptions);
    try {
      installations = await withRateLimitWaits(() => verifyInstallations());
    } catch (err) {
      // The hooks are still reconciled; the next pass checks the installations again.
      if (!(err instanceof ActivityFailure)) throw err;
      installationsError = err.cause?.message ?? err.message;
    }
  }
  for (const source of await reconcileSources()) {
    let scan: ScanResult;
    try {
      scan = await withRateLimitWaits(() =>
        scanDeliveries.executeWithOptions(
          { ...scanOptions, summary: `scan the delivery log of ${source.key}` },
          [
            {
              source,
              since: args.since,
              dryRun: args.dryRun,
              maxPages: args.maxPagesPerScan,
              replayFailed,
              claimStaleAfterMs: 2 * args.activityTimeoutMs,
            },
          ],
        ),
      );
    } catch (err) {
      // One hook the pass cannot list (the token cannot read it, say) leaves the others to reconcile;
      // its watermark stays, so the next pass lists what this one could not.
      if (!(err instanceof ActivityFailure)) throw err;
      failedSources.push({ source: source.key, error: err.cause?.message ?? err.message });
      continue;
    }
    let redelivered = 0;
    let notRedelivered = 0;
    let alreadyAsked = scan.inFlight;
    let failed = 0;
    let stillSending = 0;
    if (!args.dryRun) {
      for (const missed of scan.missed) {
        try {
          const outcome = await withRateLimitWaits(() =>
            requestRedelivery.executeWithOptions(
              { ...requestOptions, summary: `ask GitHub to redeliver ${missed.guid}` },
              [{ source, missed }],
            ),
          );
          if (outcome === 'sent') redelivered += 1;
          else if (outcome === 'already' || outcome === 'in-flight') alreadyAsked += 1;
          else notRedelivered += 1;
          // Another pass is asking for it now; should GitHub answer it with a 5xx, the claim is
          // released, and only a watermark left below it lets a later pass ask again.
          if (outcome === 'in-flight') stillSending += 1;
        } catch (err) {
          // A request that failed after its retries: the watermark stays, the next pass asks again.
          if (!(err instanceof ActivityFailure)) throw err;
          notRedelivered += 1;
          failed += 1;
        }
      }
    }
    let replayed = 0;
    if (replayFailed && scan.toReplay.length > 0) {
      try {
        replayed = await replayFailedDeliveries.executeWithOptions(
          {
            ...replayOptions,
            summary: `replay ${scan.toReplay.length} deliveries of ${source.key} that failed in hookflow`,
          },
          [{ source, guids: scan.toReplay }],
        );
      } catch (err) {
        // Replays not started (Temporal refused them): the watermark stays, the next pass replays them.
        if (!(err instanceof ActivityFailure)) throw err;
        failed += 1;
      }
    }
    // Refused and unanswered requests are settled (never asked again); a failed one is not.
    const advanceTo = failed === 0 && stillSending === 0 ? scan.advanceTo : null;
    await finishReconcileSource({
      source: source.key,
      dryRun: args.dryRun,
      advanceTo,
      missed: scan.missed.length,
      unrecoverable: scan.unrecoverableNew,
      gapFrom: scan.gap?.from ?? null,
    });
    sources.push({
      source: source.key,
      scanned: scan.scanned,
      missed: scan.missed.length,
      redelivered,
      failedInHookflow: scan.failedInHookflowCount,
      answeredLate: scan.answeredLate,
      stillFailing: scan.stillFailingCount,
      unrecoverable: scan.unrecoverableCount,
      notRedelivered,
      alreadyAsked,
      replayed,
      gap: scan.gap,
      truncated: scan.truncated,
      watermarkAdvanced: !args.dryRun && advanceTo !== null,
      samples: {
        failedInHookflow: scan.failedInHookflow,
        stillFailing: scan.stillFailing,
        unrecoverable: scan.unrecoverable,
      },
    });
  }
  type Count = keyof Omit<SourceSummary, 'source' | 'gap' | 'truncated' | 'watermarkAdvanced' | 'samples'>;
  const total = (k: Count) => sources.reduce((n, s) => n + s[k], 0);
  return {
    dryRun: args.dryRun,
    scanned: total('scanned'),
    missed: total('missed'),
    redelivered: total('redelivered'),
    failedInHookflow: total('failedInHookflow'),
    unrecoverable: total('unrecoverable'),
    answeredLate: total('answeredLate'),
    stillFailing: total('stillFailing'),
    notRedelivered: total('notRedelivered'),
    alreadyAsked: total('alreadyAsked'),
    replayed: total('replayed'),
    ...(installations ? { installations } : {}),
    ...(installationsError ? { installationsError } : {}),
    sources,
    failedSources,
  };
}
