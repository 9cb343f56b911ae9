// A real hookflow for one test: the Koa server on a free port, a worker on its own task queue
// (against the run's shared Temporal dev server), and its own storage: a fresh schema in the run's
// PostgreSQL database, or an embedded PGlite store.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  type Worker,
} from '@temporalio/worker';
import pg from 'pg';
import { loadApp } from '../../app/load-app';
import { loadConfig, type Config } from '../../lib/config';
import type { DeliveryOutcome } from '../../lib/contracts/delivery-ref';
import { createLogger, type Logger } from '../../lib/logger';
import { openStore, type Store } from '../../lib/storage';
import { freePort } from '../../lib/net';
import { encryptionKeys } from '../../lib/crypto';
import { createMetrics } from '../../lib/telemetry/metrics';
import type { Tracing } from '../../lib/telemetry/tracing';
import { serve, type RunningServer } from '../../server/serve';
import { createWorker } from '../../worker/create-worker';
import { dataConverterFor } from '../../lib/temporal/data-converter';
import { post, type Answer, type Delivery } from './deliveries';
import { testEnv, waitFor } from './env';

let runtimeInstalled = false;
/** Errors the Temporal SDK logged in this test process (a test may assert there were none). */
export const sdkErrors: string[] = [];
/** Once per test process, before any connection: keep the SDK's own logging to warnings. */
function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (entry.level === 'ERROR') sdkErrors.push(entry.message);
      process.stderr.write(`[${entry.level}] ${entry.message}\n`);
    }),
    // The outage tests make the Rust core warn about every retried call; only errors matter here.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), console: {} } },
  });
}

export interface HarnessOptions {
  storage?: 'postgres' | 'embedded';
  env?: Record<string, string>;
  worker?: boolean;
  temporalAddress?: string;
  logger?: Logger;
  /** One set of metrics for the server and the worker, as `npm start` has: `/metrics` shows both. */
  sharedMetrics?: boolean;
  /** Trace the server and the worker into this (a test's in-memory exporter, see startTracing). */
  tracing?: Tracing;
  /** A user's app module, loaded as HOOKFLOW_APP would be: the server routes by it, the worker runs it. */
  app?: string;
  /**
   * As in `npm start`: the server starts runs through the first worker's own connection, eagerly
   * (once that worker is stopped, the usual way).
   */
  eager?: boolean;
}

export interface Harness {
  config: Config;
  store: Store;
  client: Client;
  webhookUrl: string;
  url: string;
  /** The server's `/metrics`, on its own listener. */
  metricsUrl: string;
  /** The codec endpoint (history encryption on, HOOKFLOW_CODEC_TOKEN set); undefined when off. */
  codecUrl: string | undefined;
  taskQueue: string;
  /** Posts a delivery, and waits for the start (or parking) that follows its acknowledgement. */
  post(d: Delivery, pathName?: string): Promise<Answer>;
  waitForOutcome(key: string, outcome: DeliveryOutcome, timeoutMs?: number): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh schema in the run's database: one database per run, isolation per harness. */
export async function freshSchemaUrl(): Promise<string> {
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const c = new pg.Client({ connectionString: testEnv.databaseUrl });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * The keys a harness encrypts with (its configured ones, else its data folder's), as
 * HOOKFLOW_ENCRYPTION_KEY for the processes a test starts beside it: they read its histories.
 */
export function harnessKeyEnv(h: Pick<Harness, 'config'>): { HOOKFLOW_ENCRYPTION_KEY: string } {
  const keys = encryptionKeys(h.config.api.encryptionKeys, h.config.dataDir);
  return { HOOKFLOW_ENCRYPTION_KEY: keys.map((k) => k.toString('base64')).join(',') };
}

export async function startHookflow(o: HarnessOptions = {}): Promise<Harness> {
  if (o.eager && o.worker === false) throw new Error('startHookflow: eager starts need the worker');
  quietTemporalRuntime();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-harness-'));
  const taskQueue = `tq-${randomUUID()}`;
  const address = o.temporalAddress ?? testEnv.temporalAddress;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    HOOKFLOW_METRICS_PORT: String(await freePort()),
    HOOKFLOW_ADMIN_PORT: String(await freePort()),
    WEBHOOK_SECRET: 'test-secret',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: testEnv.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    HOOKFLOW_DATA_DIR: dataDir,
    HOOKFLOW_START_TIMEOUT_MS: '3000',
    HOOKFLOW_OUTBOX_INTERVAL_MS: '100',
    LOG_LEVEL: 'silent',
    ...((o.storage ?? 'postgres') === 'postgres' ? { DATABASE_URL: await freshSchemaUrl() } : {}),
    ...o.env,
  });
  const logger = o.logger ?? createLogger('silent');
  const store = await openStore(config);
  const metrics = o.sharedMetrics ? createMetrics('hookflow') : undefined;
  const app = o.app ? await loadApp(o.app, logger) : undefined;
  const connection = await Connection.connect({ address });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
  });

  let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  const startWorker = async () => {
    const nativeConnection = await NativeConnection.connect({ address });
    const w = await createWorker({
      config,
      client,
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      store,
      logger,
      metrics,
      tracing: o.tracing,
      workflowBundle: { codePath: o.tracing ? testEnv.workflowBundle : testEnv.untracedWorkflowBundle },
      maxConcurrentActivityTaskExecutions: 10,
      app,
    });
    worker = { worker: w, running: w.run(), connection: nativeConnection };
  };
  const stopWorker = async () => {
    if (!worker) return;
    const w = worker;
    worker = undefined;
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.running.catch(() => undefined);
    await w.connection.close();
  };
  if (o.worker ?? true) await startWorker();
  const server: RunningServer = await serve(config, store, address, logger, {
    metrics,
    traced: o.tracing !== undefined,
    app,
    ...(o.eager && worker ? { workerConnection: worker.connection } : {}),
  });

  return {
    config,
    store,
    client,
    url: server.url,
    metricsUrl: server.metricsUrl ?? '',
    codecUrl: server.codecUrl,
    webhookUrl: `${server.url}${config.webhookPath}`,
    taskQueue,
    // The answer comes once the delivery is recorded, its start just after: tests go on from there,
    // so what they ask Temporal next does not depend on how soon the start ran.
    post: async (d, pathName) => {
      const answer = await post(`${server.url}${pathName ?? config.webhookPath}`, d);
      await server.launched();
      return answer;
    },
    async waitForOutcome(key, outcome, timeoutMs = 30_000) {
      await waitFor(
        `${key} to be ${outcome}`,
        async () => (await store.getDelivery(key))?.outcome === outcome,
        timeoutMs,
      );
    },
    startWorker,
    stopWorker,
    async close() {
      await stopWorker();
      await server.close();
      await metrics?.shutdown();
      await connection.close();
      await store.db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` against a hookflow of its own, closed afterwards whatever happens. */
export async function withHookflow<T>(o: HarnessOptions, fn: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startHookflow(o);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}
