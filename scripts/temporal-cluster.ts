// One file though over 300 lines: each step of a cluster's life (schemas, config, server, namespace,
// search attributes, teardown) is one of the README's production steps, read in order here.
// A Temporal cluster on PostgreSQL, as production runs it: the real server (all four services in one
// process) with its PostgreSQL 12+ schemas, made with Temporal's own tools. `npm run cluster` brings
// one up for trying things, the cluster test suite and the cluster benchmarks run on one, and the
// README's production steps are the commands this file runs (each is logged as it runs).
// Test and development tooling, not hookflow's runtime: hookflow itself only needs an address.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/temporal/search-attributes';

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Host, port, user and password of a `postgres://` URL (its database is not used). */
export function postgresTarget(url: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('not a PostgreSQL URL: expected postgres://user[:password]@host[:port]/db');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new Error('not a PostgreSQL URL: expected postgres://user[:password]@host[:port]/db');
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  };
}

/** Every port the four services listen on; the frontend's gRPC port is the cluster's address. */
export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export async function freeClusterPorts(): Promise<ClusterPorts> {
  const names = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ] as const;
  const ports = new Set<number>();
  while (ports.size < names.length) ports.add(await freeLowPort());
  const list = [...ports];
  return Object.fromEntries(names.map((n, i) => [n, list[i]])) as unknown as ClusterPorts;
}

/**
 * A free port below 32768. The server records each service's membership port in a `smallint`
 * column (cluster_membership.rpc_port), so a port from the kernel's ephemeral range (32768 and up
 * on Linux) makes it exit at start-up: "value … is out of range for type smallint".
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface ClusterSpec {
  server: string;
  sqlTool: string;
  cli: string;
  /** Where the configuration and the server's log go. */
  dir: string;
  postgres: PostgresTarget;
  /** The history database; visibility lives in `<database>_visibility`. */
  database: string;
  namespace: string;
  ports: ClusterPorts;
  /** Fixed when the database is first used: it cannot change later. */
  historyShards?: number;
  /** Connections the server keeps to each database, at most: history, visibility (default 20, 10). */
  maxConns?: [number, number];
  /** Of those, how many it keeps open while idle (default: all of them). */
  maxIdleConns?: [number, number];
  /** Each command, as a shell line, before it runs. */
  log?: ((line: string) => void) | undefined;
}

export function visibilityDatabase(spec: Pick<ClusterSpec, 'database'>): string {
  return `${spec.database}_visibility`;
}

export function clusterAddress(spec: Pick<ClusterSpec, 'ports'>): string {
  return `127.0.0.1:${spec.ports.frontend}`;
}

function shellLine(cmd: string, args: string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [path.basename(cmd), ...args].map(quote).join(' ');
}

function run(
  spec: Pick<ClusterSpec, 'log'>,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  spec.log?.(shellLine(cmd, args));
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${shellLine(cmd, args)} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

function sqlToolArgs(spec: Pick<ClusterSpec, 'postgres'>, database: string): string[] {
  const pg = spec.postgres;
  return ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database];
}

/**
 * Creates the two databases and brings their schemas to the newest version the tool embeds:
 * `setup-schema -v 0.0` makes the version table, `update-schema` applies every versioned step.
 */
export async function createSchemas(spec: ClusterSpec, created: string[] = []): Promise<string[]> {
  // The password goes in the environment (SQL_PASSWORD), never on a command line others can read.
  const env = { SQL_PASSWORD: spec.postgres.password };
  for (const [database, schema] of [
    [spec.database, 'postgresql/v12/temporal'],
    [visibilityDatabase(spec), 'postgresql/v12/visibility'],
  ] as const) {
    const args = sqlToolArgs(spec, database);
    // A kept database is brought up to date (as an upgrade is): only a new one needs its version table.
    const isNew = await run(spec, spec.sqlTool, [...args, 'create-database'], env).then(
      () => true,
      (err: Error) => {
        if (/already exists/.test(err.message)) return false;
        throw err;
      },
    );
    if (isNew) {
      created.push(database);
      await run(spec, spec.sqlTool, [...args, 'setup-schema', '-v', '0.0'], env);
    }
    await run(spec, spec.sqlTool, [...args, 'update-schema', '--schema-name', schema], env);
  }
  return created;
}

export async function dropDatabases(
  spec: Pick<ClusterSpec, 'sqlTool' | 'postgres' | 'database' | 'log'>,
  databases = [spec.database, visibilityDatabase(spec)],
): Promise<void> {
  const env = { SQL_PASSWORD: spec.postgres.password };
  for (const database of databases) {
    await run(spec, spec.sqlTool, [...sqlToolArgs(spec, database), 'drop-database', '--force'], env);
  }
}

/**
 * The server's configuration, after Temporal's config/development-postgres12.yaml with every port
 * its own. Dynamic configuration: eager activities as hookflow's dev server has them, and search
 * attributes read fresh, so a search attribute registered a moment ago is usable at once.
 */
export function writeConfig(spec: ClusterSpec): { configDir: string } {
  const configDir = path.join(spec.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const p = spec.ports;
  const pg = spec.postgres;
  const store = (database: string, maxConns: number, maxIdleConns = maxConns) => `
      sql:
        pluginName: postgres12
        databaseName: ${JSON.stringify(database)}
        connectAddr: ${JSON.stringify(`${pg.host}:${pg.port}`)}
        connectProtocol: tcp
        user: ${JSON.stringify(pg.user)}
        password: ${JSON.stringify(pg.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxIdleConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http === undefined ? '' : `\n      httpPort: ${http}`}`;
  writeFileSync(
    path.join(configDir, 'development.yaml'),
    `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${spec.historyShards ?? 4}
  datastores:
    postgres-default:${store(spec.database, spec.maxConns?.[0] ?? 20, spec.maxIdleConns?.[0])}
    postgres-visibility:${store(visibilityDatabase(spec), spec.maxConns?.[1] ?? 10, spec.maxIdleConns?.[1])}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:${service(p.frontend, p.frontendMembership, p.frontendHttp)}
  matching:${service(p.matching, p.matchingMembership)}
  history:${service(p.history, p.historyMembership)}
  worker:${service(p.worker, p.workerMembership)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${p.frontend}

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: ${JSON.stringify(path.join(configDir, 'dynamic.yaml'))}
  pollInterval: 10s
`,
  );
  writeFileSync(
    path.join(configDir, 'dynamic.yaml'),
    `system.enableActivityEagerExecution:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
`,
  );
  return { configDir };
}

export interface TemporalServerProcess {
  address: string;
  child: ChildProcess;
  /** Settles when the process ends. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/** Starts `temporal-server start` on the written configuration; resolves once the frontend serves. */
export async function startTemporalServer(
  spec: ClusterSpec,
  readyTimeoutMs = 120_000,
): Promise<TemporalServerProcess> {
  const { configDir } = writeConfig(spec);
  const args = [
    '-r',
    spec.dir,
    '-c',
    path.relative(spec.dir, configDir),
    '-e',
    'development',
    '--allow-no-auth',
    'start',
  ];
  spec.log?.(shellLine(spec.server, args));
  const logFd = openSync(path.join(spec.dir, 'temporal-server.log'), 'a');
  const child = spawn(spec.server, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  // A cluster outlives no process that started it (a test file that failed, a script stopped).
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  let ended: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve((ended = `exited (code ${code}, signal ${signal})`)));
    child.once('error', (err) => resolve((ended = `failed to start: ${err.message}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (ended !== undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const address = clusterAddress(spec);
  try {
    await waitForFrontend(address, readyTimeoutMs, () => ended, path.join(spec.dir, 'temporal-server.log'));
  } catch (err) {
    await end('SIGKILL');
    throw err;
  }
  return { address, child, exited, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

async function waitForFrontend(
  address: string,
  timeoutMs: number,
  ended: () => string | undefined,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = ended();
    if (why) throw new Error(`temporal-server ${why}; its log: ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        // The frontend answers before history has its shards: a system call needs them all.
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.listNamespaces({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `temporal-server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}; its log: ${logFile}`,
  );
}

/** `temporal operator namespace create`, unless the namespace exists. */
export async function createNamespace(spec: ClusterSpec): Promise<void> {
  const address = ['--address', clusterAddress(spec)];
  const exists = await run(spec, spec.cli, [
    'operator',
    'namespace',
    'describe',
    ...address,
    '-n',
    spec.namespace,
  ]).then(
    () => true,
    (err: Error) => {
      if (/not found|NotFound/i.test(err.message)) return false;
      throw err;
    },
  );
  if (!exists) {
    await run(spec, spec.cli, [
      'operator',
      'namespace',
      'create',
      ...address,
      '-n',
      spec.namespace,
      '--retention',
      '72h',
    ]);
  }
  await waitForNamespace(clusterAddress(spec), spec.namespace);
}

/**
 * A new namespace reaches the services' namespace caches a few seconds after it is created; until
 * then calls naming it fail with "Namespace … is not found". Waits until the frontend knows it.
 */
async function waitForNamespace(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await connection.operatorService.listSearchAttributes({ namespace });
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`namespace ${namespace} not usable after ${timeoutMs} ms: ${String(err)}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * `temporal operator search-attribute create` for hookflow's search attributes: what a hookflow
 * server also does at start-up, for an operator who withholds that right from it.
 */
export async function createSearchAttributes(spec: ClusterSpec): Promise<void> {
  const args = [
    'operator',
    'search-attribute',
    'create',
    '--address',
    clusterAddress(spec),
    '-n',
    spec.namespace,
  ];
  for (const key of SEARCH_ATTRIBUTE_KEYS) args.push('--name', key.name, '--type', 'Keyword');
  await run(spec, spec.cli, args);
}

export interface Cluster {
  address: string;
  namespace: string;
  spec: ClusterSpec;
  /** The running server; replaced by restart(). */
  server(): TemporalServerProcess;
  /** Starts the server again on the same ports and databases (after a stop or a kill). */
  restart(): Promise<void>;
  /** Stops the server and drops both databases. */
  destroy(): Promise<void>;
}

/** Schemas, configuration, server, namespace and (unless told not to) hookflow's search attributes. */
export async function startCluster(
  spec: ClusterSpec,
  o: { searchAttributes?: boolean } = {},
): Promise<Cluster> {
  mkdirSync(spec.dir, { recursive: true });
  // Only what this start created is dropped when it fails: a kept cluster's databases stay.
  const created: string[] = [];
  let server: TemporalServerProcess | undefined;
  try {
    await createSchemas(spec, created);
    server = await startTemporalServer(spec);
    await createNamespace(spec);
    if (o.searchAttributes !== false) await createSearchAttributes(spec);
  } catch (err) {
    await server?.kill();
    await dropDatabases(spec, created).catch(() => undefined);
    throw err;
  }
  let running = server;
  return {
    address: running.address,
    namespace: spec.namespace,
    spec,
    server: () => running,
    restart: async () => {
      await running.stop();
      running = await startTemporalServer(spec);
    },
    destroy: async () => {
      await running.stop();
      await dropDatabases(spec);
    },
  };
}

/**
 * A cluster of this process's own on the PostgreSQL at `postgresUrl`, for a test run or a benchmark:
 * a temporary folder, free ports, and databases named `<prefix>_<pid>_<time>` (the cluster tier
 * drops those whose process is gone).
 */
export async function startThrowawayCluster(o: {
  server: string;
  sqlTool: string;
  cli: string;
  postgresUrl: string;
  prefix: string;
  namespace: string;
  maxConns?: [number, number];
  maxIdleConns?: [number, number];
  log?: ((line: string) => void) | undefined;
  searchAttributes?: boolean;
}): Promise<Cluster> {
  return startCluster(
    {
      server: o.server,
      sqlTool: o.sqlTool,
      cli: o.cli,
      dir: mkdtempSync(path.join(os.tmpdir(), `${o.prefix.replace(/_/g, '-')}-`)),
      postgres: postgresTarget(o.postgresUrl),
      database: `${o.prefix}_${process.pid}_${Date.now()}`,
      namespace: o.namespace,
      ports: await freeClusterPorts(),
      ...(o.maxConns ? { maxConns: o.maxConns } : {}),
      ...(o.maxIdleConns ? { maxIdleConns: o.maxIdleConns } : {}),
      log: o.log,
    },
    { searchAttributes: o.searchAttributes ?? true },
  );
}
