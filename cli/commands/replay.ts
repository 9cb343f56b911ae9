// `hookflow replay <GUID or workflow ID>`: runs one delivery's workflow again, from the body the
// ledger kept (see lib/replay.ts for what is trusted and what is refused). `hookflow replay --status
// failed … (--dry-run | --yes)`: the same in bulk, as a Temporal workflow (replay:<job>) that the
// command follows with a progress bar; `replay status <job>` and `replay cancel <job>`.
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { MultiBar, Presets } from 'cli-progress';
import { Option, type Command } from 'commander';
import { loadConfig, type Config } from '../../lib/config';
import {
  REPLAY_PROGRESS_QUERY,
  replayJobWorkflowId,
  type ReplayJobProgress,
  type ReplaySelection,
} from '../../lib/contracts/replay-job';
import { ReplayRefused, replayDelivery } from '../../lib/replay';
import { newReplayJobId, startReplayJob } from '../../lib/replay-job-client';
import { CliError, theDelivery, withStore, withTemporal } from '../connect';
import { addDeliveryFilters, printTable, type DeliveryFilterOptions } from './deliveries';
import { parseDeliveryId, parseDuration, parseLimit, parseReplayJob, parseRps } from '../options';

interface ReplayOptions extends DeliveryFilterOptions {
  force: boolean;
  dryRun: boolean;
  yes: boolean;
  rps: number;
  max?: number;
  settle: number;
  wait: boolean;
  json: boolean;
}

const SAMPLE_SIZE = 10;
/** Deliveries a job replays before its workflow continues as new. */
const ITEMS_PER_RUN = 500;

const write = (text: string) => process.stdout.write(text);
const json = (value: unknown) => write(`${JSON.stringify(value, null, 2)}\n`);

export function replayCommand(program: Command): void {
  const replay = program
    .command('replay')
    .enablePositionalOptions()
    .description(
      'run deliveries again from the payloads kept in the ledger: one by its ID, or in bulk by the filters of `deliveries list`',
    )
    .argument('[id]', "one delivery: the provider's delivery ID (GUID) or the workflow ID", parseDeliveryId)
    .option('--force', 'also replay deliveries that completed (their handlers run again)', false);
  addDeliveryFilters(replay, 'bulk: ');
  replay
    .option('--dry-run', 'bulk: print how many match and a sample, and start nothing', false)
    .option('--yes', 'bulk: start the job (a bulk replay needs --dry-run or --yes)', false)
    .option('--rps <n>', 'bulk: replays started per second, at most (0.1 to 100)', parseRps, 5)
    .option('--max <n>', 'bulk: at most this many deliveries, the oldest first', parseLimit)
    .addOption(
      new Option(
        '--settle <duration>',
        'bulk: after its last start, how long the job waits for the runs to end before it reports (30s, 10m, 1h)',
      )
        .argParser(parseDuration)
        .default(30 * 60_000, '30m'),
    )
    .option('--no-wait', 'bulk: return as soon as the job has started')
    .option(
      '--json',
      'print JSON: the new run; for a job its final counts; for a dry run {matched, sample}',
      false,
    )
    .action(async (id: string | undefined, o: ReplayOptions, cmd: Command) => {
      const config = loadConfig(process.env, 'cli');
      const selection = selectionOf(o);
      if (id !== undefined) {
        const bulkOnly = ['rps', 'settle', 'wait'].some((k) => cmd.getOptionValueSource(k) === 'cli');
        if (Object.keys(selection).length > 0 || o.dryRun || o.yes || o.max !== undefined || bulkOnly)
          cmd.error(
            'error: give either one delivery ID or bulk options (--status …, --dry-run/--yes, --rps, --max, --settle, --no-wait), not both',
            {
              exitCode: 2,
            },
          );
        await replayOne(config, id, o);
        return;
      }
      if (selection.status === undefined)
        cmd.error(
          'error: a bulk replay needs --status (for example --status failed), or give one delivery ID',
          {
            exitCode: 2,
          },
        );
      if (o.dryRun === o.yes)
        cmd.error(
          'error: a bulk replay needs exactly one of --dry-run (show what matches) and --yes (start the job)',
          { exitCode: 2 },
        );
      if (o.dryRun) await dryRun(config, selection, o);
      else await runJob(config, selection, o);
    });

  replay
    .command('status')
    .description("a replay job's progress and counts")
    .argument('<job>', 'the job ID (or its workflow ID, replay:<job>)', parseReplayJob)
    .option('--json', 'print JSON', false)
    .action(async (job: string, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const { status, progress } = await withTemporal(config, async (client) => {
        const handle = await existingJob(client, job);
        const described = await handle.describe();
        return { status: described.status.name.toLowerCase(), progress: await progressOf(handle) };
      });
      if (o.json) json({ ...progress, workflowStatus: status });
      else write(`${summaryLine(progress)} (workflow ${status})\n${refusalLines(progress)}`);
    });

  replay
    .command('cancel')
    .description('stop a replay job before its next delivery (runs already started go on)')
    .argument('<job>', 'the job ID (or its workflow ID, replay:<job>)', parseReplayJob)
    .option('--json', 'print the final counts as JSON', false)
    .action(async (job: string, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const progress = await withTemporal(config, async (client) => {
        const handle = await existingJob(client, job);
        const described = await handle.describe();
        if (described.status.name !== 'RUNNING')
          throw new CliError(`replay job ${job} is not running (${described.status.name.toLowerCase()})`);
        await handle.cancel();
        await handle.result().catch(() => undefined);
        return progressOf(handle);
      });
      if (o.json) json(progress);
      else write(`${summaryLine(progress)}\n`);
    });
}

function selectionOf(o: DeliveryFilterOptions): ReplaySelection {
  const s: ReplaySelection = {
    status: o.status,
    event: o.event,
    action: o.action,
    installation: o.installation,
    repository: o.repository,
    since: o.since?.toISOString(),
    until: o.until?.toISOString(),
  };
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

async function replayOne(config: Config, id: string, o: ReplayOptions): Promise<void> {
  const replayed = await withStore(config, async (store) => {
    const delivery = await theDelivery(store, id);
    return withTemporal(config, (client) =>
      replayDelivery(
        { client, taskQueue: config.temporal.taskQueue, store, searchRepository: config.searchRepository },
        delivery,
        { force: o.force },
      ),
    ).catch((err: unknown) => {
      throw err instanceof ReplayRefused ? new CliError(err.message) : err;
    });
  });
  if (o.json) json(replayed);
  else
    write(
      `replaying ${replayed.deliveryId} (was ${replayed.previousStatus}): run ${replayed.runId} of workflow ${replayed.workflowId}\n`,
    );
}

async function dryRun(config: Config, selection: ReplaySelection, o: ReplayOptions): Promise<void> {
  const { matched, sample } = await withStore(config, (store) =>
    store.previewReplay(selection, o.max ?? null, SAMPLE_SIZE),
  );
  if (o.json) {
    json({ matched, sample });
    return;
  }
  write(`${matched} ${matched === 1 ? 'delivery matches' : 'deliveries match'}; nothing was started\n`);
  if (sample.length === 0) return;
  write(`the first ${sample.length}, in replay order (oldest first):\n`);
  printTable(
    ['RECEIVED', 'STATUS', 'EVENT', 'REPOSITORY', 'DELIVERY ID'],
    sample.map((r) => [
      r.receivedAt.slice(0, 19).replace('T', ' '),
      r.status,
      r.action ? `${r.event}.${r.action}` : r.event,
      r.repository ?? '-',
      r.deliveryId,
    ]),
  );
  write(`start it with --yes instead of --dry-run\n`);
}

async function runJob(config: Config, selection: ReplaySelection, o: ReplayOptions): Promise<void> {
  const job = newReplayJobId();
  const final = await withTemporal(config, async (client) => {
    const handle = await startReplayJob(client, config.temporal.taskQueue, {
      job,
      selection,
      max: o.max ?? null,
      rps: o.rps,
      force: o.force,
      settleTimeoutMs: o.settle,
      itemsPerRun: ITEMS_PER_RUN,
    });
    if (!o.wait) return undefined;
    if (!o.json)
      process.stderr.write(
        `replay job ${job} started (workflow ${handle.workflowId}); Ctrl-C detaches, the job goes on: hookflow replay status ${job}\n`,
      );
    return follow(handle, o.json);
  });
  if (final === undefined) {
    if (o.json) json({ job, workflowId: replayJobWorkflowId(job) });
    else write(`replay job ${job} started; follow it with: hookflow replay status ${job}\n`);
    return;
  }
  if (o.json) json(final);
  else write(`${summaryLine(final)}\n${refusalLines(final)}`);
  if (final.state === 'cancelled') throw new CliError(`replay job ${job} was cancelled`);
  if (final.failed > 0)
    throw new CliError(
      `${final.failed} replayed ${final.failed === 1 ? 'run' : 'runs'} failed again: hookflow deliveries list --status failed`,
    );
}

/** Follows a job to its end; its final counts (a cancelled job's too). */
async function follow(handle: WorkflowHandle, quiet: boolean): Promise<ReplayJobProgress> {
  const tty = process.stderr.isTTY && !quiet;
  const bars = new MultiBar(
    { format: '{bar} {value}/{total} | {text}', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const bar = tty ? bars.create(1, 0, { text: 'selecting…' }) : undefined;
  let lastPrinted = 0;
  const tick = async () => {
    const p = await handle.query<ReplayJobProgress>(REPLAY_PROGRESS_QUERY).catch(() => undefined);
    if (!p || quiet) return;
    if (bar) {
      bar.setTotal(Math.max(1, p.matched));
      bar.update(p.processed, { text: progressText(p) });
    } else if (Date.now() - lastPrinted > 2_000) {
      lastPrinted = Date.now();
      process.stderr.write(`${p.processed}/${p.matched} · ${progressText(p)}\n`);
    }
  };
  const timer = setInterval(() => void tick(), 500);
  try {
    try {
      return (await handle.result()) as ReplayJobProgress;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const p = await progressOf(handle);
      if (p.state === 'cancelled') return p;
      throw new CliError(`replay job failed: ${(err.cause ?? err).message}`);
    }
  } finally {
    clearInterval(timer);
    bars.stop();
  }
}

async function existingJob(client: Client, job: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(replayJobWorkflowId(job));
  try {
    await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no replay job ${job}`);
    throw err;
  }
  return handle;
}

async function progressOf(handle: WorkflowHandle): Promise<ReplayJobProgress> {
  try {
    return await handle.query<ReplayJobProgress>(REPLAY_PROGRESS_QUERY);
  } catch (err) {
    throw new CliError(
      `cannot read the job's progress (${(err as Error).message}): is a hookflow worker running?`,
    );
  }
}

function progressText(p: ReplayJobProgress): string {
  return `${p.state} · replayed ${p.replayed} (completed ${p.succeeded}, failed ${p.failed}, running ${p.running}) · refused ${p.refused}`;
}

function summaryLine(p: ReplayJobProgress): string {
  return `replay job ${p.job} ${p.state}: ${p.matched} matched, ${p.processed} reached · ${progressText(p)}`;
}

function refusalLines(p: ReplayJobProgress): string {
  return p.refusals.map((r) => `  not replayed ${r.deliveryId}: ${r.reason}\n`).join('');
}
