// `npm test`: the unit tier (test/unit/, pure modules and the Koa app with fakes: no services),
// then the integration tier (test/*.test.ts) against one Temporal dev server and one PostgreSQL
// database for the whole run, shared by the test files (node:test runs them two at a time, in child
// processes that inherit the env set here). `npm run test:unit` (`--unit`) runs the unit tier alone
// (test/unit/ and the example apps' own tests) and starts nothing. `npm run test:cluster`
// (`--cluster`) runs the cluster tier (test/cluster/) against a real Temporal server on PostgreSQL
// instead of the dev server, one file at a time (each runs several hookflow processes). Arguments
// filter files by name. Prints `N passed, N failed, N skipped` last; exits non-zero on any failure.
import { existsSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { freePort } from '../lib/net';
import { findTemporalCli, findTemporalServer } from '../lib/temporal/binaries';
import { startDevServer } from '../lib/temporal/dev-server';
import { bundleWorkflows } from '../worker/create-worker';
import { startThrowawayCluster } from '../scripts/temporal-cluster';
import { setTestEnv } from './helpers/env';
import { removeStaleClusters } from './helpers/cluster';
import { ADMIN_URL, createScratchDatabase } from './helpers/scratch-database';

function testFiles(dir: string, only: string[]): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The example apps' own tests (examples/<app>/test/): like the unit tier's, they start no services. */
function exampleTestFiles(only: string[]): string[] {
  const examples = path.join(__dirname, '..', 'examples');
  return readdirSync(examples)
    .sort()
    .map((e) => path.join(examples, e, 'test'))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => testFiles(dir, only));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const cluster = args.includes('--cluster');
  const only = args.filter((a) => a !== '--unit' && a !== '--cluster');
  const counts = { passed: 0, failed: 0, skipped: 0 };
  if (cluster) {
    const files = testFiles(path.join(__dirname, 'cluster'), only);
    process.stdout.write(`cluster tier: ${files.length} files\n`);
    await runIntegration(files, counts, 'cluster');
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
    return counts.failed === 0 && counts.passed > 0 ? 0 : 1;
  }
  const unitFiles = [...testFiles(path.join(__dirname, 'unit'), only), ...exampleTestFiles(only)];
  const integrationFiles = unitOnly ? [] : testFiles(__dirname, only);

  if (unitFiles.length > 0) {
    process.stdout.write(`unit tier: ${unitFiles.length} files\n`);
    await runFiles(unitFiles, counts, 2 * 60_000);
  }
  if (integrationFiles.length > 0) {
    process.stdout.write(`integration tier: ${integrationFiles.length} files\n`);
    await runIntegration(integrationFiles, counts, 'dev-server');
  }
  process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  return counts.failed === 0 && counts.passed > 0 ? 0 : 1;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface RunTemporal {
  address: string;
  stop(): Promise<void>;
  kill(): void;
}

/** The run's Temporal: the dev server, or a cluster (the real server on PostgreSQL) of its own. */
async function startTemporal(
  kind: 'dev-server' | 'cluster',
  cli: string,
  namespace: string,
): Promise<RunTemporal> {
  if (kind === 'dev-server') {
    const start = async () => startDevServer({ cli, port: await freePort(), namespace, stdio: 'quiet' });
    // A free port can be taken between asking and binding (and the dev server binds more ports of
    // its own): that, and only that, is worth a second try on another port.
    const dev = await start().catch((err: unknown) => {
      if (!/address already in use/i.test(String(err))) throw err;
      process.stderr.write(`${String(err)}\nstarting the dev server again on another port\n`);
      return start();
    });
    return { address: dev.address, stop: () => dev.stop(), kill: () => dev.child.kill('SIGKILL') };
  }
  const { server, sqlTool } = await findTemporalServer(process.env, (m) => process.stderr.write(`${m}\n`));
  // The cluster tier's own files start clusters of their own from these (to restart or kill them).
  Object.assign(process.env, {
    HOOKFLOW_TEST_TEMPORAL_SERVER: server,
    HOOKFLOW_TEST_TEMPORAL_SQL_TOOL: sqlTool,
  });
  // No search attributes: hookflow's servers register them at start-up, as on a fresh cluster.
  const cluster = await startThrowawayCluster({
    server,
    sqlTool,
    cli,
    postgresUrl: ADMIN_URL,
    prefix: 'hookflow_cluster',
    namespace,
    maxConns: [10, 5],
    // Few kept while idle: the run's cluster idles while a file's own cluster runs beside it.
    maxIdleConns: [2, 1],
    searchAttributes: false,
  });
  return {
    address: cluster.address,
    stop: () => cluster.destroy(),
    kill: () => cluster.server().child.kill('SIGKILL'),
  };
}

async function runIntegration(
  files: string[],
  counts: Counts,
  kind: 'dev-server' | 'cluster',
): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hookflow-test-'));
  const cli = await findTemporalCli(process.env, (m) => process.stderr.write(`${m}\n`));
  const namespace = 'hookflow-test';
  if (kind === 'cluster') {
    const stale = await removeStaleClusters();
    if (stale.killed > 0 || stale.dropped.length > 0)
      process.stderr.write(`removed what earlier cluster runs left: ${JSON.stringify(stale)}\n`);
  }
  const started = await Promise.allSettled([
    startTemporal(kind, cli, namespace),
    bundleWorkflows(quietLogger),
    bundleWorkflows(quietLogger, undefined, false),
    createScratchDatabase('hookflow_test'),
  ] as const);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    // Whatever did start is stopped: a cluster's server and databases outlive nothing.
    if (started[0].status === 'fulfilled') await started[0].value.stop().catch(() => undefined);
    if (started[3].status === 'fulfilled') await started[3].value.drop().catch(() => undefined);
    throw failed.reason;
  }
  const [temporal, bundle, untracedBundle, database] = started.map(
    (r) => (r as PromiseFulfilledResult<unknown>).value,
  ) as [RunTemporal, string, string, Awaited<ReturnType<typeof createScratchDatabase>>];
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle);
  const untracedBundlePath = path.join(tmp, 'workflow-bundle-untraced.js');
  writeFileSync(untracedBundlePath, untracedBundle);

  setTestEnv({
    temporalAddress: temporal.address,
    namespace,
    databaseUrl: database.url,
    workflowBundle: bundlePath,
    untracedWorkflowBundle: untracedBundlePath,
    cli,
  });

  // A test file whose process never exits would hold CI until its deadline: give up well before.
  const watchdog = setTimeout(() => {
    process.stderr.write('\ntest run did not finish within 30 minutes: a test file hangs\n');
    process.stdout.write(
      `\n${counts.passed} passed, ${counts.failed + 1} failed, ${counts.skipped} skipped\n`,
    );
    temporal.kill();
    process.exit(1);
  }, 30 * 60_000);
  watchdog.unref();
  try {
    await runFiles(files, counts, 10 * 60_000, kind === 'cluster' ? 1 : 2);
  } finally {
    clearTimeout(watchdog);
    await temporal.stop();
    await database.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function runFiles(files: string[], counts: Counts, timeout: number, concurrency = 2): Promise<void> {
  const stream = run({ files, concurrency, timeout });
  stream.on('test:pass', (d: { skip?: unknown; todo?: unknown; details?: { type?: string } }) => {
    if (d.details?.type === 'suite') return;
    if (d.skip !== undefined && d.skip !== false) counts.skipped++;
    else counts.passed++;
  });
  stream.on('test:fail', (d: { details?: { type?: string } }) => {
    if (d.details?.type !== 'suite') counts.failed++;
  });
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(new spec()) as NodeJS.ReadableStream;
    out.on('end', resolve);
    out.on('error', reject);
    out.pipe(process.stdout, { end: false });
  });
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => process.stderr.write(`${m}\n`),
  error: (m: string) => process.stderr.write(`${m}\n`),
};

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test run failed to start: ${String((err as Error)?.stack ?? err)}\n`);
    process.stdout.write('\n0 passed, 1 failed, 0 skipped\n');
    process.exit(1);
  },
);
