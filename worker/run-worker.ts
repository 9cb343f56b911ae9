import type { Worker } from '@temporalio/worker';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Store } from '../lib/storage';
import { workerConnection } from '../lib/temporal/connect';
import { createWorker } from './create-worker';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function runWorker(
  config: Config,
  store: Store,
  temporalAddress: string,
  logger: Logger,
): Promise<RunningWorker> {
  const connection = await workerConnection(config, temporalAddress);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    store,
    logger,
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
