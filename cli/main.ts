// hookflow's command line. `hookflow sync <owner>/<repo>` starts a repository's backfill, or attaches
// to the one running, and shows its progress live; `--json` prints only the final summary.
import { parseArgs } from 'node:util';
import { Connection, Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { MultiBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../lib/config';
import { SYNC_PROGRESS_QUERY, type SyncProgress } from '../lib/contracts/sync-progress';
import { REPOSITORY_NAME, startSyncJob, syncArgs, syncWorkflowId } from '../lib/sync-client';

const USAGE = `Usage:
  hookflow sync <owner>/<repo> [--installation <id>] [--json]   start a backfill, or attach to the running one
  hookflow sync <owner>/<repo> --cancel                          cancel the running backfill

Options:
  --installation <id>  the GitHub App installation to sync with (default: the one that registered the repository)
  --json               print only the final summary, as JSON
  --help               show this help

Connects to TEMPORAL_ADDRESS (default: the local server \`npm start\` runs, 127.0.0.1:TEMPORAL_PORT).`;

class UsageError extends Error {}

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

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        installation: { type: 'string' },
        json: { type: 'boolean', default: false },
        cancel: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  const [command, repository, ...rest] = positionals;
  if (command !== 'sync') throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  if (!repository) throw new UsageError('sync needs a repository: hookflow sync <owner>/<repo>');
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (!REPOSITORY_NAME.test(repository))
    throw new UsageError(`not a repository name: ${repository} (expected <owner>/<repo>)`);
  if (values.installation !== undefined && !/^[1-9]\d{0,19}$/.test(values.installation)) {
    throw new UsageError(`--installation must be a numeric installation ID, not ${values.installation}`);
  }
  return {
    help: false as const,
    repository,
    installation: values.installation,
    json: values.json,
    cancel: values.cancel,
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

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(process.env, 'cli');
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    process.stderr.write(
      `cannot reach Temporal at ${address} (${(err as Error).message}): is hookflow running (npm start)?\n`,
    );
    return 1;
  }
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    if (args.cancel) {
      await client.workflow.getHandle(syncWorkflowId(args.repository)).cancel();
      process.stderr.write(`cancelled the sync of ${args.repository}\n`);
      return 0;
    }
    const handle = await startSyncJob(
      client,
      config.temporal.taskQueue,
      syncArgs(config, args.repository, args.installation),
    );
    if (!args.json) {
      const started = (await handle.describe()).startTime.getTime();
      const attached = Date.now() - started > 2_000;
      process.stderr.write(
        `${attached ? 'attached to the running' : 'started the'} sync of ${args.repository} (workflow ${handle.workflowId}); Ctrl-C detaches, the sync goes on\n`,
      );
    }
    const final = await follow(handle, args.json);
    if (args.json) process.stdout.write(`${JSON.stringify(summaryOf(final), null, 2)}\n`);
    else process.stderr.write(`\ndone in ${Math.round(final.elapsedMs / 100) / 10} s\n`);
    return 0;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause ?? err) : err;
    process.stderr.write(`sync of ${args.repository} failed: ${(cause as Error).message}\n`);
    return 1;
  } finally {
    await connection.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`hookflow: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      err instanceof ConfigError ? `${err.message}\n` : `hookflow: ${String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(1);
  },
);
