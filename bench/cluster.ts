// A fresh Temporal cluster (the real server on the local PostgreSQL) for one benchmark target.
import { findTemporalServer } from '../lib/temporal/binaries';
import { startThrowawayCluster, type Cluster } from '../scripts/temporal-cluster';
import { ADMIN_URL } from '../test/helpers/scratch-database';

export async function startBenchCluster(cli: string): Promise<Cluster> {
  const { server, sqlTool } = await findTemporalServer(process.env, (m) => process.stderr.write(`${m}\n`));
  return startThrowawayCluster({
    server,
    sqlTool,
    cli,
    postgresUrl: ADMIN_URL,
    prefix: 'hookflow_bench_cluster',
    namespace: 'default',
  });
}
