// `npm run cluster`: a throwaway Temporal cluster on the local PostgreSQL (the real server, not the
// dev server), for trying hookflow's production shape by hand. It prints each command it runs (the
// README's production steps), then the address to give hookflow, and runs until Ctrl-C, which stops
// the server and drops its databases (unless --keep). `npm run cluster -- down` drops a kept one's.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { findTemporalCli, findTemporalServer, findTemporalSqlTool } from '../lib/temporal/binaries';
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

/** A `postgres://` URL, checked before anything is built or started. */
function postgresUrl(value: string): string {
  try {
    postgresTarget(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
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

const log = (m: string) => process.stderr.write(`${m}\n`);
const printCommand = (line: string) => process.stdout.write(`$ ${line}\n`);

async function spec(o: Options): Promise<ClusterSpec> {
  const { server, sqlTool } = await findTemporalServer(process.env, log);
  const cli = await findTemporalCli(process.env, log);
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
    log: printCommand,
  };
}

const program = new Command('cluster')
  .description('a throwaway Temporal cluster (temporal-server 1.29 on PostgreSQL) for hookflow')
  .argument('[command]', "`down`: drop a kept cluster's databases (default: bring one up)")
  .option(
    '--postgres <url>',
    'the PostgreSQL server to use',
    postgresUrl,
    'postgres://postgres@127.0.0.1:5432/postgres',
  )
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

program.action(async (command: string | undefined, o: Options) => {
  if (command === 'down') {
    const sqlTool = await findTemporalSqlTool(process.env, log);
    await dropDatabases({
      sqlTool,
      postgres: postgresTarget(o.postgres),
      database: o.database,
      log: printCommand,
    });
    return;
  }
  if (command !== undefined) program.error(`unknown command ${command}: the only command is \`down\``);
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

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
