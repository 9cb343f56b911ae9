// `npm start`: everything in one process on the embedded default — a local Temporal dev server
// (SQLite file under the data folder, UI on its port, search attributes registered), the embedded
// store (PGlite under the data folder), the worker and the Koa server. With TEMPORAL_ADDRESS it
// connects to that cluster instead, and with DATABASE_URL it uses PostgreSQL. Restarting keeps the data.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadApp } from '../app/load-app';
import { ConfigError, loadConfig, workerPoolProblem } from '../lib/config';
import { createLogger } from '../lib/logger';
import { runMain, type Defer } from '../lib/main';
import { reachable } from '../lib/net';
import { openStore } from '../lib/storage';
import { WORKER_POOL_SIZE } from '../worker/create-worker';
import { findTemporalCli } from '../lib/temporal/binaries';
import { startDevServer } from '../lib/temporal/dev-server';
import { superviseDevServer, type SupervisedDevServer } from '../lib/temporal/supervised-dev-server';
import { logDestination } from '../lib/telemetry/log-output';
import { startProcessTelemetry } from '../lib/telemetry/process';
import { serve } from '../server/serve';
import { runWorker } from '../worker/run-worker';

/** Starts everything in this process; `hookflow run <app>` calls it too. */
export async function startEmbedded(defer: Defer, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const configured = loadConfig(env, 'all');
  // This process runs a worker too.
  const poolProblem = configured.databaseUrl ? workerPoolProblem(configured.databasePoolSize) : undefined;
  if (poolProblem) throw new ConfigError([poolProblem]);
  // The local UI decodes through hookflow's codec endpoint: with no token set, one made for this run.
  const config = {
    ...configured,
    codec: { ...configured.codec, token: configured.codec.token ?? randomBytes(24).toString('base64url') },
  };
  const codecEndpoint =
    config.historyEncryption && config.admin.port !== 0
      ? `http://${reachable(config.admin.host)}:${config.admin.port}`
      : undefined;
  const logger = createLogger(config.logLevel, 'hookflow', logDestination(config.logFormat));
  // One process, one set of metrics: the server's /metrics shows the worker's and the Temporal SDK's too.
  const { metrics, tracing } = await startProcessTelemetry(config, 'hookflow', defer, { logger });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // Loaded before anything starts, so an app that cannot load stops hookflow at once.
  const app = config.app.path ? await loadApp(config.app.path, logger) : undefined;

  let devServer: SupervisedDevServer | undefined;
  let address = config.temporal.address;
  if (address === undefined) {
    const cli = await findTemporalCli(config.env, say);
    // Restarted if it dies: meanwhile deliveries wait in the outbox and /readyz says 503.
    devServer = await superviseDevServer({
      start: () =>
        startDevServer({
          cli,
          port: config.temporal.devServerPort,
          uiPort: config.temporal.uiPort,
          uiCodecEndpoint: codecEndpoint && `${codecEndpoint}/${config.codec.token}`,
          namespace: config.temporal.namespace,
          dbFile: path.join(config.dataDir, 'temporal.db'),
        }),
      log: logger,
    });
    address = devServer.address;
    defer(() => devServer?.stop());
  }
  const store = await openStore(config, WORKER_POOL_SIZE);
  defer(() => store.db.close());
  const worker = await runWorker(config, store, address, logger, metrics, tracing, app);
  defer(() => worker.stop());
  const server = await serve(config, store, address, logger, {
    metrics,
    traced: tracing !== undefined,
    app,
    workerConnection: worker.connection,
  });
  defer(() => server.close());
  worker.done.catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));

  say('');
  say(
    `hookflow is running (${store.db.kind === 'embedded' ? `embedded store in ${config.dataDir}` : 'PostgreSQL'})`,
  );
  say(`  Webhook URL:  ${server.url}${config.webhookPath}`);
  if (app) say(`  App:          ${app.file} (${app.app.registrations.map((r) => r.id).join(', ')})`);
  for (const p of config.sources.providers) say(`  ${p.name} URL: ${server.url}${p.path}`);
  say(`  Temporal UI:  ${devServer?.uiUrl ?? `(the UI of the cluster at ${address})`}`);
  // A token made for this run is shown in the URL (the local UI has it already); a configured one is not.
  if (server.codecUrl)
    say(
      `  Codec endpoint: ${configured.codec.token ? `${server.codecUrl} (token: HOOKFLOW_CODEC_TOKEN)` : `${server.codecUrl}/${config.codec.token}`}`,
    );
  say(`  Health:       ${server.url}/healthz  ${server.url}/readyz`);
  say('Press Ctrl-C to stop.');
}

if (require.main === module) runMain((defer) => startEmbedded(defer));
