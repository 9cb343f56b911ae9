// `hookflow sync <owner>/<repo>`: starts a repository's backfill, or attaches to the one running,
// and shows its progress live; `--json` prints only the final summary; `--cancel` cancels it.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { SYNC_PROGRESS_QUERY, type SyncProgress } from '../../lib/contracts/sync-progress';
import { startSyncJob, syncArgs, syncWorkflowId } from '../../lib/sync-client';
import { CliError, withTemporal } from '../connect';
import { parseInstallation, parseRepository } from '../options';

interface SyncSummary {
  repository: string;
  items: { issues: number; pulls: number; comments: number };
  pages: number;
  requests: number;
  notModified: number;
  rateLimitWaits: number;
  rateLimitWaitedMs: number;
  retries: number;
  runs: number;
  durationMs: number;
}

function summaryOf(p: SyncProgress): SyncSummary {
  return {
    repository: p.repository,
    items: { issues: p.issues, pulls: p.pulls, comments: p.comments },
    pages: p.pages,
    requests: p.requests,
    notModified: p.notModified,
    rateLimitWaits: p.rateLimitWaits,
    rateLimitWaitedMs: p.waitedMs,
    retries: p.retries,
    runs: p.runs,
    durationMs: p.elapsedMs,
  };
}

function line(p: SyncProgress): string {
  const eta = p.estimatedMsLeft === null ? '?' : `${Math.ceil(p.estimatedMsLeft / 1000)} s`;
  const budget =
    p.budgetRemaining === null ? '?' : `${p.budgetRemaining} left, resets ${p.budgetResetAt?.slice(11, 19)}`;
  return `${p.phase} · ${p.issues} issues, ${p.pulls} pulls, ${p.comments} comments · ${p.pages} pages, ${p.requests} requests, ${p.notModified} 304s · rate-limit waits ${p.rateLimitWaits} · budget ${budget} · ETA ${eta}`;
}

async function follow(handle: WorkflowHandle, json: boolean): Promise<SyncProgress> {
  const result = handle.result() as Promise<SyncProgress>;
  if (json) return result;
  const tty = process.stderr.isTTY;
  const bars = new MultiBar(
    { format: '{bar} {percentage}% | {text}', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const bar = tty ? bars.create(100, 0, { text: 'starting…' }) : undefined;
  let lastPrinted = 0;
  const tick = async () => {
    const p = await handle.query<SyncProgress>(SYNC_PROGRESS_QUERY).catch(() => undefined);
    if (!p) return;
    const done = p.estimatedMsLeft === null ? 0 : p.elapsedMs / Math.max(1, p.elapsedMs + p.estimatedMsLeft);
    if (bar) bar.update(Math.round(done * 100), { text: line(p) });
    else if (Date.now() - lastPrinted > 2_000) {
      lastPrinted = Date.now();
      process.stderr.write(`${line(p)}\n`);
    }
  };
  const timer = setInterval(() => void tick(), 500);
  try {
    const final = await result;
    bar?.update(100, { text: line(final) });
    return final;
  } finally {
    clearInterval(timer);
    bars.stop();
  }
}

interface SyncOptions {
  installation?: string;
  json: boolean;
  cancel: boolean;
}

export function syncCommand(program: Command): void {
  program
    .command('sync')
    .description('start a repository backfill, or attach to the running one, and show its progress')
    .argument('<owner/repo>', 'the repository', parseRepository)
    .option(
      '--installation <id>',
      'the GitHub App installation to sync with (default: the one that registered the repository)',
      parseInstallation,
    )
    .option('--cancel', 'cancel the running backfill', false)
    .option('--json', 'print only the final summary, as JSON', false)
    .action(async (repository: string, o: SyncOptions) => {
      const config = loadConfig(process.env, 'cli');
      await withTemporal(config, async (client) => {
        if (o.cancel) {
          await client.workflow.getHandle(syncWorkflowId(repository)).cancel();
          process.stderr.write(`cancelled the sync of ${repository}\n`);
          return;
        }
        try {
          const handle = await startSyncJob(
            client,
            config.temporal.taskQueue,
            syncArgs(config, repository, o.installation),
          );
          if (!o.json) {
            const started = (await handle.describe()).startTime.getTime();
            const attached = Date.now() - started > 2_000;
            process.stderr.write(
              `${attached ? 'attached to the running' : 'started the'} sync of ${repository} (workflow ${handle.workflowId}); Ctrl-C detaches, the sync goes on\n`,
            );
          }
          const final = await follow(handle, o.json);
          if (o.json) process.stdout.write(`${JSON.stringify(summaryOf(final), null, 2)}\n`);
          else process.stderr.write(`\ndone in ${Math.round(final.elapsedMs / 100) / 10} s\n`);
        } catch (err) {
          const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause ?? err) : err;
          throw new CliError(`sync of ${repository} failed: ${(cause as Error).message}`);
        }
      });
    });
}
