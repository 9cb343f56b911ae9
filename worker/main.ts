// Production entry point: a worker only; run as many replicas as the load needs.
import { loadApp } from '../app/load-app';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { WORKER_POOL_SIZE } from './create-worker';
import { serveMetrics } from '../lib/telemetry/metrics';
import { logDestination } from '../lib/telemetry/log-output';
import { startProcessTelemetry } from '../lib/telemetry/process';
import { runWorker } from './run-worker';

runMain(async (defer) => {
  const config = loadConfig(process.env, 'worker');
  const address = config.temporal.address;
  const logger = createLogger(config.logLevel, 'hookflow-worker', logDestination(config.logFormat));
  const { metrics, tracing } = await startProcessTelemetry(config, 'hookflow-worker', defer, { logger });
  // Loaded before anything starts, so an app that cannot load stops the worker at once.
  const app = config.app.path ? await loadApp(config.app.path, logger) : undefined;
  const store = await openStore(config, WORKER_POOL_SIZE);
  defer(() => store.db.close());
  if (config.workerMetricsPort !== 0) {
    const metricsServer = await serveMetrics(metrics, config.workerMetricsPort, config.metricsHost);
    defer(() => new Promise<void>((r) => metricsServer.close(() => r())));
  }
  const worker = await runWorker(config, store, address, logger, metrics, tracing, app);
  defer(() => worker.stop());
  logger.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  // A worker stops by itself only on a fatal error (a signal stops it through `defer` above).
  worker.done.catch((err: unknown) => {
    logger.error({ err }, 'worker stopped with an error');
    process.exit(1);
  });
});
