// Production entry point: the front door only (run workers with worker/main.ts).
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { requireSplitDeployment, runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { serve } from './serve';

runMain(async () => {
  const config = loadConfig();
  const address = requireSplitDeployment(config, 'server');
  const logger = createLogger(config.logLevel, 'hookflow-server');
  const store = await openStore(config);
  const server = await serve(config, store, address, logger);
  logger.info({ url: `${server.url}${config.webhookPath}` }, 'hookflow server listening');
  return async () => {
    await server.close();
    await store.db.close();
  };
});
