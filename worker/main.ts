// Production entry point: a worker only; run as many replicas as the load needs.
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { requireSplitDeployment, runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { runWorker } from './run-worker';

runMain(async () => {
  const config = loadConfig();
  const address = requireSplitDeployment(config, 'worker');
  const logger = createLogger(config.logLevel, 'hookflow-worker');
  installTemporalRuntime(logger, config.logLevel);
  const store = await openStore(config);
  const worker = await runWorker(config, store, address, logger);
  logger.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  worker.done.then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'worker stopped with an error');
      process.exit(1);
    },
  );
  return async () => {
    await worker.stop();
    await store.db.close();
  };
});
