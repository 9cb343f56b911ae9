// `npm run cluster`: a throwaway Temporal cluster on the local PostgreSQL (the real server, not the
// dev server), for trying hookflow's production shape by hand. It prints each command it runs (the
// README's production steps), then the address to give hookflow, and runs until Ctrl-C, which stops
// the server and drops its databases (unless --keep). `npm run cluster -- down` drops a kept one.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { findTemporalCli, findTemporalServer } from '../lib/temporal/binaries';
import {
  dropDatabases,
  freeClusterPorts,
  postgresTarget,
  startCluster,
  type ClusterSpec,
} from './temporal-cluster';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new InvalidArgumentError('expected a port, 1 to 65535');
  return n;
}

function identifier(value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(value)) {
    throw new InvalidArgumentError('expected lower-case letters, digits and _ (a PostgreSQL database name)');
  }
  return value;
}

interface Options {
  postgres: string;
  database: string;
  namespace: string;
  port?: number;
  keep?: boolean;
}

async function spec(o: Options): Promise<ClusterSpec> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const [{ server, sqlTool }, cli] = [
    await findTemporalServer(process.env, log),
    await findTemporalCli(process.env, log),
  ];
  const ports = await freeClusterPorts();
  if (o.port !== undefined) ports.frontend = o.port;
  return {
    server,
    sqlTool,
    cli,
    dir: mkdtempSync(path.join(os.tmpdir(), 'hookflow-cluster-')),
    postgres: postgresTarget(o.postgres),
    database: o.database,
    namespace: o.namespace,
    ports,
    log: (line) => process.stdout.write(`$ ${line}\n`),
  };
}

const program = new Command('cluster')
  .description('a throwaway Temporal cluster (temporal-server 1.29 on PostgreSQL) for hookflow')
  .option('--postgres <url>', 'the PostgreSQL server to use', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option(
    '--database <name>',
    'history database (visibility: <name>_visibility)',
    identifier,
    'hookflow_temporal',
  )
  .option('--namespace <name>', 'the namespace to create', 'default')
  .option('--port <port>', "the frontend's gRPC port (default: a free one)", port)
  .option('--keep', 'keep the databases when stopped (drop them later with `down`)')
  .showHelpAfterError();

program.action(async (o: Options) => {
  const s = await spec(o);
  const cluster = await startCluster(s);
  process.stdout.write(
    `\nTemporal cluster ready. Run hookflow against it with:\n` +
      `  TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace}\n` +
      `Server log and configuration: ${s.dir}\nCtrl-C stops it${o.keep ? '' : ' and drops its databases'}.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    void cluster.server().exited.then((why) => {
      process.stderr.write(`temporal-server ${why}\n`);
      resolve();
    });
  });
  if (o.keep) await cluster.server().stop();
  else await cluster.destroy();
});

program
  .command('down')
  .description("drop a kept cluster's databases")
  .action(async () => {
    const o = program.opts<Options>();
    await dropDatabases(await spec(o));
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
