import type { NativeConnection, Worker } from '@temporalio/worker';
import type { LoadedApp } from '../app/load-app';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/telemetry/metrics';
import type { Tracing } from '../lib/telemetry/tracing';
import type { Store } from '../lib/storage';
import { dataConverterFor } from '../lib/temporal/data-converter';
import { clientConnection, createClient, workerConnection } from '../lib/temporal/connect';
import { payloadDecodeTally } from '../lib/storage/keys';
import { createWorker, type WorkerConfig } from './create-worker';

export interface RunningWorker {
  worker: Worker;
  /** The worker's own connection: a client on it can start workflows eagerly on this worker. */
  connection: NativeConnection;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function runWorker(
  config: WorkerConfig,
  store: Store,
  temporalAddress: string,
  logger: Logger,
  metrics?: Metrics,
  tracing?: Tracing,
  app?: LoadedApp,
): Promise<RunningWorker> {
  const connection = await workerConnection(config, temporalAddress);
  const clientConn = clientConnection(config, temporalAddress);
  const client = createClient(
    clientConn,
    config.temporal.namespace,
    tracing !== undefined,
    dataConverterFor(config),
  );
  // Which keys the payloads this worker decrypts need, for `hookflow keys status`.
  const decodes = payloadDecodeTally(store.db, 10_000);
  const worker = await createWorker({
    onPayloadDecode: decodes.count,
    config,
    client,
    metrics,
    tracing,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    store,
    logger,
    app,
  });
  const done = worker.run().finally(async () => {
    await decodes.stop();
    await connection.close();
    await clientConn.close();
  });
  return {
    worker,
    connection,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
