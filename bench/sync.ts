// `npm run bench:sync`: a repository backfill side by side with Octokit, one run, against the same
// fake provider (test/fake-github) with the same limits:
//   hookflow — the syncRepository workflow on a local Temporal dev server, its worker in this
//              process, PostgreSQL storage, token mode
//   octokit  — @octokit/core with plugin-paginate-rest + plugin-throttling + plugin-retry, doing the
//              same listings (issues, pulls, issue comments) with `paginate`
// Each syncs twice: the second run is an unchanged re-sync. Every client has its own credential,
// so its own budget. Results go to bench/results/sync-<date>.{md,json}.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { freePort } from '../lib/net';
import { openStore } from '../lib/storage';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import type { SyncProgress } from '../lib/contracts/sync-progress';
import { findTemporalCli } from '../lib/temporal/binaries';
import { exitOnError, writeResults } from './results';
import { webhookCallsDuringSync, type WebhookWaits } from './sync-webhooks';
import { githubClientFrom } from '../activities/github/from-config';
import { startDevServer } from '../lib/temporal/dev-server';
import { startFakeGitHub, type FakeGitHub } from '../test/fake-github/server';
import { createScratchDatabase } from '../test/helpers/scratch-database';
import { createWorker } from '../worker/create-worker';
import { dataConverterFor } from '../lib/temporal/data-converter';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 20_000);
const COMMENTS_PER_ISSUE = Number(process.env.BENCH_COMMENTS_PER_ISSUE ?? 1);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 200);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 10_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 5);
const REPO = 'bench/repo';
/** The repository synced while webhook calls run beside the job; as large as REPO. */
const WEBHOOK_REPO = 'bench/busy';
/** How often a webhook handler calls the API during that sync. */
const WEBHOOK_EVERY_MS = Number(process.env.BENCH_WEBHOOK_EVERY_MS ?? 2_000);
/** GitHub numbers the pages of these listings (`rel="last"`); 0 gives opaque cursors instead. */
const PAGE_NUMBERS = process.env.BENCH_PAGE_NUMBERS !== '0';
/** Names the results file beside the date, for runs with other limits. */
const LABEL = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : '';
const TOKENS = { hookflow: 'hookflow-token', octokit: 'octokit-token' };

interface Run {
  startedAt: number;
  wallMs: number;
  /** Requests the fake counted against the credential's primary budget. */
  quota: number;
  requests: number;
  notModified: number;
  violations: number;
  refused: number;
  items: number;
}

/**
 * Waits for the provider's next window to begin (its windows are aligned to the clock, as GitHub's
 * reset is), so every run starts with a whole window and the whole-window ideal does not depend on
 * where in a window a run happened to start.
 */
async function alignToWindow(): Promise<void> {
  const next = Math.ceil(Date.now() / WINDOW_MS) * WINDOW_MS + 20;
  await new Promise((r) => setTimeout(r, next - Date.now()));
}

function measure(fake: FakeGitHub, credential: string, since: number, started: number, items: number): Run {
  const mine = fake.requests.slice(since).filter((r) => r.credential === credential);
  return {
    startedAt: started,
    wallMs: Date.now() - started,
    quota: mine.filter((r) => r.status !== 304 && r.path !== '/rate_limit').length,
    requests: mine.length,
    notModified: mine.filter((r) => r.status === 304).length,
    violations: fake.violations.filter((v) => v.credential === credential && v.at >= started).length,
    refused: mine.filter((r) => r.status === 403 || r.status === 429).length,
    items,
  };
}

async function hookflowRuns(fake: FakeGitHub): Promise<{ runs: Run[]; webhooks: WebhookWaits }> {
  const cli = await findTemporalCli(process.env, (m) => process.stderr.write(`${m}\n`));
  const temporal = await startDevServer({
    cli,
    port: await freePort(),
    namespace: 'hookflow-bench',
    stdio: 'quiet',
  });
  const database = await createScratchDatabase('hookflow_bench');
  const config = loadConfig({
    GITHUB_TOKEN: TOKENS.hookflow,
    GITHUB_API_URL: fake.url,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'hookflow-bench',
    TEMPORAL_TASK_QUEUE: `bench-${randomUUID()}`,
    HOOKFLOW_DATA_DIR: path.join(os.tmpdir(), `hookflow-bench-${Date.now()}`),
    HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
  });
  const store = await openStore(config);
  const logger = createLogger('silent');
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
  });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    store,
    logger,
    config,
    client,
  });
  const running = worker.run();
  const runs: Run[] = [];
  let webhooks: WebhookWaits;
  try {
    for (let i = 0; i < 2; i++) {
      await alignToWindow();
      const since = fake.requests.length;
      const started = Date.now();
      const handle = await startSyncJob(client, config.temporal.taskQueue, syncArgs(config, REPO));
      const p = (await handle.result()) as SyncProgress;
      runs.push(measure(fake, 'pat:hookflow', since, started, p.issues + p.pulls + p.comments));
    }
    // A third sync, of a repository not seen yet (so it spends the budget again), with a webhook
    // handler's calls of the same installation beside it.
    await alignToWindow();
    const job = await startSyncJob(client, config.temporal.taskQueue, syncArgs(config, WEBHOOK_REPO));
    webhooks = await webhookCallsDuringSync({
      github: githubClientFrom(config, store, logger)!,
      fake,
      credential: 'pat:hookflow',
      repo: WEBHOOK_REPO,
      latencyMs: LATENCY_MS,
      everyMs: WEBHOOK_EVERY_MS,
      job: job.result(),
    });
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await store.db.close();
    await temporal.stop();
    await database.drop();
  }
  return { runs, webhooks };
}

async function octokitRuns(fake: FakeGitHub): Promise<Run[]> {
  const { Octokit } = await import('@octokit/core');
  const { paginateRest } = await import('@octokit/plugin-paginate-rest');
  const { throttling } = await import('@octokit/plugin-throttling');
  const { retry } = await import('@octokit/plugin-retry');
  const MyOctokit = Octokit.plugin(paginateRest, throttling, retry);
  const octokit = new MyOctokit({
    auth: TOKENS.octokit,
    baseUrl: fake.url,
    // As the plugin's README recommends: retry after a primary limit and after a secondary one.
    throttle: { onRateLimit: () => true, onSecondaryRateLimit: () => true },
  });
  const [owner, repo] = REPO.split('/');
  const runs: Run[] = [];
  for (let i = 0; i < 2; i++) {
    await alignToWindow();
    const since = fake.requests.length;
    const started = Date.now();
    const issues = await octokit.paginate('GET /repos/{owner}/{repo}/issues', {
      owner,
      repo,
      state: 'all',
      per_page: 100,
    });
    const pulls = await octokit.paginate('GET /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      state: 'all',
      per_page: 100,
    });
    const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/comments', {
      owner,
      repo,
      per_page: 100,
    });
    const items =
      issues.filter((x) => !('pull_request' in x && x.pull_request)).length + pulls.length + comments.length;
    runs.push(measure(fake, 'pat:octokit', since, started, items));
  }
  return runs;
}

async function main(): Promise<void> {
  const fake = await startFakeGitHub({
    limit: LIMIT,
    windowMs: WINDOW_MS,
    latencyMs: LATENCY_MS,
    pageNumbers: PAGE_NUMBERS,
    staticTokens: { [TOKENS.hookflow]: 'pat:hookflow', [TOKENS.octokit]: 'pat:octokit' },
  });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  fake.addRepo(REPO, { id: 1, installation: '1', issues: ISSUES, commentsPerIssue: COMMENTS_PER_ISSUE });
  fake.addRepo(WEBHOOK_REPO, {
    id: 2,
    installation: '1',
    issues: ISSUES,
    commentsPerIssue: COMMENTS_PER_ISSUE,
  });
  const { runs: hookflow, webhooks } = await hookflowRuns(fake);
  const octokit = await octokitRuns(fake);
  await fake.close();

  const rate = LIMIT / WINDOW_MS; // requests per ms
  const date = new Date().toISOString().slice(0, 10);
  const command = `BENCH_ISSUES=${ISSUES} BENCH_COMMENTS_PER_ISSUE=${COMMENTS_PER_ISSUE} BENCH_LIMIT=${LIMIT} BENCH_WINDOW_MS=${WINDOW_MS} BENCH_LATENCY_MS=${LATENCY_MS} BENCH_PAGE_NUMBERS=${PAGE_NUMBERS ? 1 : 0} BENCH_WEBHOOK_EVERY_MS=${WEBHOOK_EVERY_MS}${LABEL ? ` BENCH_LABEL=${LABEL.slice(1)}` : ''} npm run bench:sync`;
  // The provider's windows are fixed (aligned to the clock, as GitHub's reset is): the last request
  // can go no earlier than the start of the window that still has room for it.
  const earliest = (r: Run) => {
    const windows = Math.ceil(r.quota / LIMIT);
    if (windows <= 1) return 0;
    return Math.ceil(r.startedAt / WINDOW_MS) * WINDOW_MS + (windows - 2) * WINDOW_MS - r.startedAt;
  };
  const row = (name: string, [first, again]: Run[]) => {
    const ideal = first.quota / rate;
    return {
      name,
      first,
      again,
      idealMs: ideal,
      efficiency: ideal / first.wallMs,
      earliestMs: earliest(first),
      /** The whole-window ideal (the earliest any client that never breaks the limit could finish) over the wall time. */
      ofEarliest: Math.max(earliest(first), (first.quota - 1) * LATENCY_MS) / first.wallMs,
      resyncQuotaShare: again.quota / first.quota,
    };
  };
  const rows = [row('hookflow', hookflow), row('octokit', octokit)];
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const lines = [
    `# Sync benchmark, ${date}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `Provider: the fake GitHub of test/fake-github on loopback, ${LATENCY_MS} ms added per request; a primary limit of ${LIMIT} requests per ${WINDOW_MS / 1000} s window per credential (${(rate * 1000).toFixed(1)}/s); ETags; ${PAGE_NUMBERS ? 'page-numbered Link headers with rel="last", as GitHub gives for these listings' : 'opaque Link cursors'}.`,
    `Repository: ${ISSUES} issues with ${COMMENTS_PER_ISSUE} comment(s) each; the listings: issues (state=all), pulls (state=all), issue comments, 100 per page.`,
    'hookflow: the syncRepository workflow (local `temporal server start-dev`, in memory; the worker in the benchmark process; PostgreSQL), token mode, default pacing settings.',
    'octokit: @octokit/core + plugin-paginate-rest + plugin-throttling (onRateLimit and onSecondaryRateLimit retry) + plugin-retry, `paginate` over the same three listings.',
    "Ideal: the first sync's requests ÷ the allowed rate. Earliest: when the last request could go at best under the provider's fixed windows (a fresh budget at the start, then whole windows), so a client that spends its first window whole can beat the ideal. Violations: requests the provider refused or recorded as breaking a limit (a 403 after the budget was spent, overlapping requests of one credential).",
    '',
    '| target | items | first sync s | ideal s | of ideal | earliest s | of earliest | requests (counted) | violations | re-sync s | re-sync requests (counted) | re-sync quota vs first |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.first.items} | ${s(r.first.wallMs)} | ${s(r.idealMs)} | ${pct(r.efficiency)} | ${s(r.earliestMs)} | ${pct(r.ofEarliest)} | ${r.first.requests} (${r.first.quota}) | ${r.first.violations + r.again.violations} | ${s(r.again.wallMs)} | ${r.again.requests} (${r.again.quota}) | ${pct(r.resyncQuotaShare)} |`,
    ),
    '',
  ];
  const h = rows[0];
  lines.push(
    `Targets for hookflow: at least 90% of the ideal rate — ${pct(h.efficiency)} (${h.efficiency >= 0.9 ? 'met' : 'NOT met'}); zero violations — ${h.first.violations + h.again.violations} (${h.first.violations + h.again.violations === 0 ? 'met' : 'NOT met'}); an unchanged re-sync at most 5% of the first sync's quota — ${pct(h.resyncQuotaShare)} (${h.resyncQuotaShare <= 0.05 ? 'met' : 'NOT met'}).`,
    '',
  );
  lines.push(
    `Whole-window ideal: hookflow took ${pct(h.ofEarliest)} of the earliest finish any client that never breaks the limit could reach (target ≥ 95% when the job fits the budget).`,
    '',
  );
  const w = webhooks;
  const within = w.maxMs <= w.pacingMs && w.deferred === 0;
  lines.push(
    `Webhook calls during a sync: a third hookflow sync (of another repository as large, so it spends the budget again) with a webhook handler's \`GET /repos/{owner}/{repo}\` of the same installation every ${s(WEBHOOK_EVERY_MS)} s beside it: ${w.calls} calls, ${w.deferred} sent back to retry later; their wait in hookflow's client (the provider's ${LATENCY_MS} ms taken off) p50 ${w.p50Ms.toFixed(0)} ms, worst ${w.maxMs.toFixed(0)} ms, against the job's pacing interval (median gap between its requests) of ${w.pacingMs.toFixed(0)} ms — ${within ? 'no longer than the pacing interval (met)' : 'longer than the pacing interval (NOT met)'}; ${w.violations} violations.`,
    '',
  );
  writeResults(`sync-${date}${LABEL}`, lines, { date, command, rows, webhooks });
}

exitOnError(main);
