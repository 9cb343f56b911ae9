// One reconciliation pass against GitHub's delivery log, started by the schedule
// (HOOKFLOW_RECONCILE_INTERVAL_MINUTES) or by `hookflow reconcile`. Per hook: a scan judges every
// GUID of the log since the watermark against the ledger; each missed one is asked for in its own
// activity (a retry repeats no other request); the watermark moves only when every request of the
// pass is done, so a pass that fails midway is picked up by the next, which asks nobody twice.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileArgs, ReconcileSummary, SourceSummary } from '../lib/contracts/reconcile';
import { apiActivityOptions, DELIVERY_ACTIVITY } from './activity-options';
import { withRateLimitWaits } from './with-rate-limit-waits';

export async function reconcileDeliveries(args: ReconcileArgs): Promise<ReconcileSummary> {
  const { reconcileSources, finishReconcileSource } = proxyActivities<Activities>(DELIVERY_ACTIVITY);
  // A scan pages through the log in one activity, heartbeating after each page.
  const scanOptions = { ...apiActivityOptions(30 * 60_000), heartbeatTimeout: args.activityTimeoutMs };
  const { scanDeliveries } = proxyActivities<Activities>(scanOptions);
  const requestOptions = apiActivityOptions(args.activityTimeoutMs);
  const { requestRedelivery } = proxyActivities<Activities>(requestOptions);

  const sources: SourceSummary[] = [];
  for (const source of await reconcileSources()) {
    const scan = await withRateLimitWaits(() =>
      scanDeliveries.executeWithOptions(
        { ...scanOptions, summary: `scan the delivery log of ${source.key}` },
        [{ source, since: args.since }],
      ),
    );
    let redelivered = 0;
    let notRedelivered = 0;
    let failed = 0;
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
          else if (outcome !== 'already') notRedelivered += 1;
        } catch (err) {
          // A request that failed after its retries: the watermark stays, the next pass asks again.
          if (!(err instanceof ActivityFailure)) throw err;
          notRedelivered += 1;
          failed += 1;
        }
      }
    }
    // Refused and unanswered requests are settled (never asked again); a failed one is not.
    const advanceTo = failed === 0 ? scan.advanceTo : null;
    await finishReconcileSource({
      source: source.key,
      dryRun: args.dryRun,
      advanceTo,
      missed: scan.missed.length,
      unrecoverable: scan.unrecoverableCount,
      gap: scan.gap !== null,
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
      gap: scan.gap,
      watermarkAdvanced: !args.dryRun && advanceTo !== null,
      samples: {
        failedInHookflow: scan.failedInHookflow,
        stillFailing: scan.stillFailing,
        unrecoverable: scan.unrecoverable,
      },
    });
  }
  const total = (k: keyof Omit<SourceSummary, 'source' | 'gap' | 'watermarkAdvanced' | 'samples'>) =>
    sources.reduce((n, s) => n + s[k], 0);
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
    sources,
  };
}
