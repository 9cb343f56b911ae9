// A Temporal cluster of a test's own (the real server on PostgreSQL, databases of its own), for the
// cluster tier's tests that stop, kill or restart it: the run's shared cluster must stay up.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeClusterPorts, postgresTarget, startCluster, type Cluster } from '../../scripts/temporal-cluster';
import { testEnv } from './env';
import { ADMIN_URL } from './scratch-database';

/** `log` receives each command the cluster was made with. */
export async function startTestCluster(name: string, log?: (line: string) => void): Promise<Cluster> {
  const server = process.env.HOOKFLOW_TEST_TEMPORAL_SERVER;
  const sqlTool = process.env.HOOKFLOW_TEST_TEMPORAL_SQL_TOOL;
  if (!server || !sqlTool) {
    throw new Error('the Temporal server is not known: run the cluster tier with `npm run test:cluster`');
  }
  return startCluster({
    server,
    sqlTool,
    cli: testEnv.cli,
    dir: mkdtempSync(path.join(os.tmpdir(), `hookflow-${name}-`)),
    postgres: postgresTarget(ADMIN_URL),
    database: `hookflow_${name}_${process.pid}_${Date.now()}`,
    namespace: testEnv.namespace,
    ports: await freeClusterPorts(),
    // Beside the run's own cluster and hookflow's processes, within PostgreSQL's 100 connections.
    maxConns: [8, 4],
    log,
  });
}
