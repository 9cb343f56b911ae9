// A Temporal cluster of a test's own (the real server on PostgreSQL, databases of its own), for the
// cluster tier's tests that stop, kill or restart it: the run's shared cluster must stay up.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startThrowawayCluster, type Cluster } from '../../scripts/temporal-cluster';
import { testEnv } from './env';
import { ADMIN_URL } from './scratch-database';

/**
 * For the cluster tier's hookflow servers and harness: they open few PostgreSQL connections. The
 * tier runs the run's cluster, a file's own, two workers (30 connections each at most) and these
 * within PostgreSQL's 100 connections; with the servers' default of 10 it peaked at 99.
 */
export const FEW_CONNECTIONS = { HOOKFLOW_DB_POOL_SIZE: '4' };

/** `log` receives each command the cluster was made with. */
export async function startTestCluster(name: string, log?: (line: string) => void): Promise<Cluster> {
  const server = process.env.HOOKFLOW_TEST_TEMPORAL_SERVER;
  const sqlTool = process.env.HOOKFLOW_TEST_TEMPORAL_SQL_TOOL;
  if (!server || !sqlTool) {
    throw new Error('the Temporal server is not known: run the cluster tier with `npm run test:cluster`');
  }
  return startThrowawayCluster({
    server,
    sqlTool,
    cli: testEnv.cli,
    postgresUrl: ADMIN_URL,
    prefix: `hookflow_${name}`,
    namespace: testEnv.namespace,
    // Beside the run's own cluster and hookflow's processes, within PostgreSQL's 100 connections.
    maxConns: [8, 4],
    maxIdleConns: [2, 1],
    log,
  });
}

/** Whether a process with this ID runs (ours or not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What a cluster run killed before its cleanup (a SIGKILL, a file past its time limit) left behind:
 * orphaned `temporal-server` processes of hookflow's test clusters, and the databases of clusters
 * whose process is gone (their names carry its ID). The cluster tier calls this before it starts.
 */
export async function removeStaleClusters(): Promise<{ killed: number; dropped: string[] }> {
  let killed = 0;
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      const ours = argv.some((a) => a.startsWith(path.join(os.tmpdir(), 'hookflow-')));
      if (path.basename(argv[0]).startsWith('temporal-server') && ours && ppid === '1') {
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const dropped: string[] = [];
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^hookflow_(cluster|faults|bench_cluster)_[0-9]+_[0-9]+(_visibility)?$'`,
    );
    for (const { datname } of rows) {
      const pid = Number(/_(\d+)_\d+(?:_visibility)?$/.exec(datname)?.[1]);
      if (alive(pid)) continue;
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      dropped.push(datname);
    }
  } finally {
    await admin.end();
  }
  return { killed, dropped };
}
