// `hookflow reconcile`: one reconciliation pass against GitHub's delivery log, now. It runs as the
// reconcileDeliveries workflow (as the scheduled passes do) and prints what it found: deliveries
// hookflow missed and asked GitHub for again, deliveries that failed in hookflow (to replay), and
// deliveries past GitHub's 3-day redelivery window.
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import type { ReconcileSummary } from '../../lib/contracts/reconcile';
import { reconcileArgs, runReconcilePass } from '../../lib/reconcile-client';
import { CliError, withTemporal } from '../connect';
import { parsePastTime } from '../options';

interface ReconcileOptions {
  since?: Date;
  dryRun: boolean;
  json: boolean;
}

const NO_SOURCE =
  "no hook to reconcile: GitHub lists deliveries of the App's hook (APP_ID and PRIVATE_KEY) and of hooks that the sources file places on a repository or organization (with GITHUB_TOKEN)";

function report(s: ReconcileSummary): string {
  const lines = [
    `${s.dryRun ? 'dry run: ' : ''}${s.scanned} deliveries in GitHub's log of ${s.sources.length} hook(s)`,
    `  missed by hookflow:        ${s.missed}${s.dryRun ? ' (not asked for: dry run)' : `, asked GitHub to send again: ${s.redelivered}`}`,
  ];
  if (s.notRedelivered > 0)
    lines.push(`  not sent again:            ${s.notRedelivered} (see the worker's log)`);
  if (s.alreadyAsked > 0)
    lines.push(`  asked by another pass:     ${s.alreadyAsked} (being asked now, or asked already)`);
  lines.push(
    `  failed in hookflow:        ${s.failedInHookflow}${s.replayed > 0 ? `, replayed now: ${s.replayed}` : ''}`,
  );
  lines.push(`  unrecoverable (> 3 days):  ${s.unrecoverable}`);
  if (s.stillFailing > 0) lines.push(`  asked before, still failing: ${s.stillFailing} (never asked twice)`);
  if (s.answeredLate > 0) lines.push(`  answered late (hookflow has them): ${s.answeredLate}`);
  for (const src of s.sources) {
    if (src.gap)
      lines.push(
        `  ${src.source}: no pass ran between ${src.gap.from} and ${src.gap.to}; GitHub no longer lists or redelivers what was missed then`,
      );
    if (src.truncated)
      lines.push(
        `  ${src.source}: not everything was listed or asked for in this pass (see the worker's log); the watermark stays, the next pass goes on`,
      );
    for (const guid of src.samples.failedInHookflow) lines.push(`  npx hookflow replay ${guid}`);
    for (const guid of src.samples.unrecoverable) lines.push(`  lost (past the window): ${guid}`);
  }
  for (const f of s.failedSources)
    lines.push(`  ${f.source}: its delivery log could not be listed: ${f.error}`);
  if (s.installations && s.installations.verified + s.installations.unknown + s.installations.skipped > 0)
    lines.push(
      `  installations checked against the API: ${s.installations.verified} known, ${s.installations.unknown} unknown to GitHub (refused from now on), ${s.installations.skipped} to try again`,
    );
  if (s.installationsError)
    lines.push(`  installations could not be checked (the next pass tries again): ${s.installationsError}`);
  return `${lines.join('\n')}\n`;
}

export function reconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description(
      "compare GitHub's delivery log with the ledger now, and ask GitHub again for what hookflow missed",
    )
    .option(
      '--since <when>',
      'list the log back to this time (3d, 24h, 90m or an ISO time) instead of the last pass',
      (v) => parsePastTime(v),
    )
    .option('--dry-run', 'report only: ask GitHub for nothing, and leave the watermark', false)
    .option('--json', 'print the summary as JSON', false)
    .action(async (o: ReconcileOptions) => {
      const config = loadConfig(process.env, 'cli');
      const summary = await withTemporal(config, async (client) => {
        try {
          return await runReconcilePass(
            client,
            config.temporal.taskQueue,
            reconcileArgs(config, { since: o.since, dryRun: o.dryRun }),
          );
        } catch (err) {
          const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause ?? err) : err;
          throw new CliError(`the reconciliation pass failed: ${(cause as Error).message}`);
        }
      });
      if (summary.sources.length === 0 && summary.failedSources.length === 0) throw new CliError(NO_SOURCE);
      process.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : report(summary));
      if (summary.failedSources.length > 0)
        throw new CliError(
          `the delivery log of ${summary.failedSources.map((f) => f.source).join(', ')} could not be listed; the other hooks were reconciled`,
        );
    });
}
