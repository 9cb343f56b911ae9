import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { githubClientFrom } from '../activities/github/from-config';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/telemetry/metrics';
import type { Store } from '../lib/storage';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  logger: Logger;
  config: Config;
  /** Starts syncs and keeps their reconciliation schedules. */
  client: Client;
  metrics?: Metrics | undefined;
  /** A prebuilt bundle (tests build one per run); else the workflows are bundled at start. */
  workflowBundle?: { codePath: string } | undefined;
  maxConcurrentActivityTaskExecutions?: number;
}

/** Activity slots per worker, and the PostgreSQL connections it opens: more than its slots (see openStore). */
export const ACTIVITY_SLOTS = 20;
export const WORKER_POOL_SIZE = ACTIVITY_SLOTS + 10;

export const WORKFLOWS_PATH = require.resolve('../workflows');

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  const options: WorkerOptions = {
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createActivities({
      store: deps.store,
      logger: deps.logger,
      github: githubClientFrom(deps.config, deps.store, deps.logger, deps.metrics),
      api: deps.config.api,
      githubApiUrl: deps.config.githubApiUrl,
      temporal: { client: deps.client, taskQueue: deps.taskQueue },
      metrics: deps.metrics,
    }),
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions ?? ACTIVITY_SLOTS,
  };
  return Worker.create(options);
}
