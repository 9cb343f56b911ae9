// Production entry point: a worker only; run as many replicas as the load needs.
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { requireSplitDeployment, runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { runWorker } from './run-worker';

runMain(async (defer) => {
  const config = loadConfig();
  const address = requireSplitDeployment(config, 'worker');
  const logger = createLogger(config.logLevel, 'hookflow-worker');
  installTemporalRuntime(logger, config.logLevel);
  const store = await openStore(config);
  defer(() => store.db.close());
  const worker = await runWorker(config, store, address, logger);
  defer(() => worker.stop());
  logger.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  // A worker stops by itself only on a fatal error (a signal stops it through `defer` above).
  worker.done.catch((err: unknown) => {
    logger.error({ err }, 'worker stopped with an error');
    process.exit(1);
  });
});
