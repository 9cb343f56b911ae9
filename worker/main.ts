// Production entry point: a worker only; run as many replicas as the load needs.
import { ConfigError, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { requireSplitDeployment, runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { WORKER_POOL_SIZE } from './create-worker';
import { serveMetrics } from '../lib/telemetry/metrics';
import { startProcessTelemetry } from '../lib/telemetry/process';
import { runWorker } from './run-worker';

runMain(async (defer) => {
  const config = loadConfig();
  const address = requireSplitDeployment(config, 'worker');
  if (config.appId !== undefined && config.api.encryptionKeys.length === 0) {
    // Every worker must open the tokens the others sealed: a per-process key would not.
    throw new ConfigError([
      'HOOKFLOW_ENCRYPTION_KEY: required for a worker in App mode (make one with: openssl rand -base64 32)',
    ]);
  }
  const logger = createLogger(config.logLevel, 'hookflow-worker');
  const { metrics, tracing } = await startProcessTelemetry(config, 'hookflow-worker', defer, { logger });
  const store = await openStore(config, WORKER_POOL_SIZE);
  defer(() => store.db.close());
  if (config.workerMetricsPort !== 0) {
    const metricsServer = await serveMetrics(metrics, config.workerMetricsPort, config.host);
    defer(() => new Promise<void>((r) => metricsServer.close(() => r())));
  }
  const worker = await runWorker(config, store, address, logger, metrics, tracing);
  defer(() => worker.stop());
  logger.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  // A worker stops by itself only on a fatal error (a signal stops it through `defer` above).
  worker.done.catch((err: unknown) => {
    logger.error({ err }, 'worker stopped with an error');
    process.exit(1);
  });
});
