// Production entry point: the front door only (run workers with worker/main.ts).
import { loadApp } from '../app/load-app';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { runMain } from '../lib/main';
import { openStore } from '../lib/storage';
import { clientConnection } from '../lib/temporal/connect';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { ensureSearchAttributes } from '../lib/temporal/search-attributes';
import { logDestination } from '../lib/telemetry/log-output';
import { startProcessTelemetry } from '../lib/telemetry/process';
import { serve } from './serve';

runMain(async (defer) => {
  const config = loadConfig(process.env, 'server');
  const address = config.temporal.address;
  const logger = createLogger(config.logLevel, 'hookflow-server', logDestination(config.logFormat));
  const { metrics, tracing } = await startProcessTelemetry(config, 'hookflow-server', defer);
  // Workflow starts go through the SDK's native connection: its log lines join hookflow's. No
  // workers here, so the SDK leaves signals alone (runMain handles them).
  installTemporalRuntime(logger, config.logLevel, undefined, []);
  // The server runs no handler: it loads the app to know which events it takes, and ignores the rest.
  const app = config.app.path ? await loadApp(config.app.path, logger) : undefined;
  const store = await openStore(config);
  defer(() => store.db.close());
  // Best effort: on a cluster the operator may have registered them already, or withheld the right to.
  const admin = clientConnection(config, address);
  await ensureSearchAttributes(admin, config.temporal.namespace)
    .then((added) => added.length > 0 && logger.info({ added }, 'registered hookflow search attributes'))
    .catch((err: unknown) =>
      logger.warn({ err }, 'could not check hookflow search attributes; register them (see README)'),
    )
    .finally(() => admin.close());
  const server = await serve(config, store, address, logger, {
    metrics,
    traced: tracing !== undefined,
    app,
  });
  defer(() => server.close());
  logger.info({ url: `${server.url}${config.webhookPath}` }, 'hookflow server listening');
});
