// One file though over 300 lines: serve() is one start-up order (connections, front door, listeners,
// relay) whose failures each undo what came before; split, that order would be read across files.
// Wires and starts the server process's parts: the Temporal client, the front door, the outbox relay.
import type { Server } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Client, ConnectionLike } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Store } from '../lib/storage';
import { createSealer, existingEncryptionKeys, type Sealer } from '../lib/crypto';
import { managedHookSecrets } from '../lib/hook-secrets';
import { backgroundNativeConnection, clientConnection, createClient } from '../lib/temporal/connect';
import { dataConverterFor, historyCodec } from '../lib/temporal/data-converter';
import { serveCodecEndpoint } from './codec-endpoint';
import { createMetrics, serveMetrics, type Metrics } from '../lib/telemetry/metrics';
import { acceptedWriter } from './accepted-writer';
import { createApp, createHttpServer } from './app';
import { startLauncher } from './launcher';
import { startOutboxRelay } from './outbox-relay';
import { providersFrom, type AppEvents } from './providers';
import { temporalStarter } from './starter';
import { temporalHealth } from './temporal-health';
import { reloadCertificates } from './tls-reload';
import { metaAllowList, type MetaAllowList } from './ip-allowlist';
import { tokenlessClient } from '../activities/github/from-config';
import { rangeList, reachable } from '../lib/net';

/** The part of the configuration the server process reads. */
export type ServerConfig = Pick<
  Config,
  | 'env'
  | 'temporal'
  | 'startTimeoutMs'
  | 'startConcurrency'
  | 'nativeStarts'
  | 'ackAfter'
  | 'webhookPath'
  | 'webhookSecrets'
  | 'webhookAllowSha1'
  | 'sources'
  | 'bodyLimitBytes'
  | 'bodyTimeoutMs'
  | 'tls'
  | 'tlsReloadMs'
  | 'host'
  | 'port'
  | 'metricsPort'
  | 'metricsHost'
  | 'outboxIntervalMs'
  | 'hookCacheMs'
  | 'api'
  | 'dataDir'
  | 'deadLetterAfter'
  | 'ipAllowList'
  | 'trustedProxies'
  | 'githubApiUrl'
  | 'historyEncryption'
  | 'searchRepository'
  | 'admin'
  | 'codec'
>;

export interface RunningServer {
  url: string;
  /** Where `/metrics` is served (its own listener, never the webhook port); undefined when off. */
  metricsUrl: string | undefined;
  /** The codec endpoint's base URL (admin listener; the token is not in it); undefined when off. */
  codecUrl: string | undefined;
  /** Settles once every delivery acknowledged so far has its workflow started or its outbox row. */
  launched(): Promise<void>;
  close(): Promise<void>;
}

/** How soon a server tries again to make its native connection to an unreachable Temporal. */
const NATIVE_RETRY_MS = 5_000;

export async function serve(
  config: ServerConfig,
  store: Store,
  temporalAddress: string,
  logger: Logger,
  o: {
    /** Shared with an in-process worker (`npm start`); else the server's own; `false`: none (a benchmark's baseline). */
    metrics?: Metrics | false | undefined;
    /** Trace each request and the workflow start it makes. */
    traced?: boolean;
    /** The user's app: its events are routed to its handlers, not ignored. */
    app?: AppEvents | undefined;
    /** The connection of a worker in this process (`npm start`): starts hand it their first task. */
    workerConnection?: ConnectionLike | undefined;
  } = {},
): Promise<RunningServer> {
  const { metrics: shared, traced = false } = o;
  const connection = clientConnection(config, temporalAddress);
  const dataConverter = dataConverterFor(config);
  const client = createClient(connection, config.temporal.namespace, traced, dataConverter);
  // Starts go through a native connection: the worker's when one runs in this process (and then
  // eagerly), else one of the server's own, made in the background (unless HOOKFLOW_NATIVE_STARTS
  // is false); the JavaScript client starts until it is there, and while a native start that
  // outlived its deadline still runs. The server's own is made once it is listening (below), so a
  // start-up that fails before has nothing to close.
  let ownNative: ReturnType<typeof backgroundNativeConnection> | undefined;
  const nativeClient = (c: ConnectionLike) =>
    createClient(c, config.temporal.namespace, traced, dataConverter);
  const workerClient = o.workerConnection && nativeClient(o.workerConnection);
  let own: { connection: ConnectionLike; client: Client } | undefined;
  const starter = temporalStarter(
    client,
    config.temporal.taskQueue,
    config.startTimeoutMs,
    config.searchRepository,
    {
      eager: workerClient !== undefined,
      client: () => {
        if (workerClient) return workerClient;
        // Undefined again once closed (the server stopping): starts then go the JavaScript way.
        const made = ownNative?.current();
        if (!made) return undefined;
        if (own?.connection !== made) own = { connection: made, client: nativeClient(made) };
        return own.client;
      },
    },
  );
  const health = temporalHealth();
  // The sealer is made at the first managed hook read: a server that has none needs no key.
  let sealer: Sealer | undefined;
  const managed = managedHookSecrets(
    store.db,
    () => (sealer ??= createSealer(existingEncryptionKeys(config.api.encryptionKeys, config.dataDir))),
    { provider: 'github', cacheMs: config.hookCacheMs },
  );
  const providers = providersFrom(config, o.app, managed);
  if (config.webhookSecrets.length === 0) {
    logger.warn('WEBHOOK_SECRET is not set: every GitHub delivery to the default hook will be refused (401)');
  }
  const accepted = acceptedWriter(store, logger);
  const launcher = startLauncher({ store, starter, health, accepted, logger }, config.startConcurrency);
  const metrics = shared === false ? undefined : (shared ?? createMetrics('hookflow-server'));
  metrics?.observeOutboxDepth(() => store.outboxDepth());
  const allowList =
    config.ipAllowList.mode === 'github-meta'
      ? githubMetaAllowList(config, store, logger, metrics)
      : undefined;
  await allowList?.loaded;
  if (config.trustedProxies.length > 0 && !allowList)
    logger.warn('HOOKFLOW_TRUSTED_PROXIES is set but HOOKFLOW_IP_ALLOWLIST is off: it changes nothing');
  const app = createApp({
    addressCheck: allowList,
    metrics,
    traced,
    providers,
    store,
    starter,
    health,
    accepted,
    launcher,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    ackAfter: config.ackAfter,
  });
  // Metrics on a listener of their own (loopback by default): the webhook's address is public.
  // Bound first, so a port already taken stops the start before any delivery is taken.
  const giveUp = async (err: unknown): Promise<never> => {
    await allowList?.close();
    await connection.close().catch(() => undefined);
    if (shared === undefined) await metrics?.shutdown().catch(() => undefined);
    throw err;
  };
  const metricsServer =
    metrics && config.metricsPort !== 0
      ? await serveMetrics(metrics, config.metricsPort, config.metricsHost).catch(giveUp)
      : undefined;
  const closeMetrics = () =>
    new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
  const codecServer = await serveCodec(config, logger).catch(async (err: unknown) => {
    await closeMetrics();
    return giveUp(err);
  });
  const server = createHttpServer(app, config.bodyTimeoutMs, config.tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch(async (err: unknown) => {
    await closeMetrics();
    await new Promise<void>((resolve) => (codecServer ? codecServer.close(() => resolve()) : resolve()));
    return giveUp(err);
  });
  if (!o.workerConnection && config.nativeStarts)
    ownNative = backgroundNativeConnection(config, temporalAddress, NATIVE_RETRY_MS, logger);
  const certificates = config.tls
    ? reloadCertificates(server as https.Server, config.tls, config.tlsReloadMs, logger)
    : undefined;
  if (certificates)
    metrics?.observeCertificateExpiry(() => {
      const end = certificates.validUntil();
      // No sample for a certificate that cannot be read, rather than a made-up time.
      return end ? Promise.resolve(end.getTime() / 1000) : Promise.reject(new Error('unreadable'));
    });
  const relay = startOutboxRelay(
    { store, starter, health, logger, metrics },
    {
      intervalMs: config.outboxIntervalMs,
      startTimeoutMs: config.startTimeoutMs,
      concurrency: config.startConcurrency,
      deadLetterAfter: config.deadLetterAfter,
    },
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `${config.tls ? 'https' : 'http'}://${reachable(config.host)}:${port}`,
    metricsUrl: metricsServer
      ? `http://${reachable(config.metricsHost)}:${(metricsServer.address() as AddressInfo).port}/metrics`
      : undefined,
    codecUrl: codecServer
      ? `http://${reachable(config.admin.host)}:${(codecServer.address() as AddressInfo).port}`
      : undefined,
    launched: () => launcher.drain(),
    async close() {
      certificates?.stop();
      await allowList?.close();
      await relay.stop();
      const closing = (s: Server) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
        });
      await Promise.all([server, metricsServer, codecServer].flatMap((s) => (s ? [closing(s)] : [])));
      // Acknowledged deliveries get their starts (or outbox rows) before the connection goes.
      await launcher.drain();
      await accepted.flush();
      await starter.drain();
      try {
        await connection.close();
      } finally {
        await ownNative?.close();
      }
      if (shared === undefined) await metrics?.shutdown();
    },
  };
}

/**
 * The codec endpoint (codec-endpoint.ts) on the admin listener, when history encryption is on and
 * it has a token; else a line in the log says why there is none.
 */
async function serveCodec(config: ServerConfig, logger: Logger): Promise<Server | undefined> {
  if (!config.historyEncryption) return undefined;
  if (config.admin.port === 0 || config.codec.token === undefined) {
    logger.info(
      config.admin.port === 0
        ? 'the codec endpoint is off (HOOKFLOW_ADMIN_PORT=0): the Temporal UI shows encrypted payloads'
        : 'the codec endpoint is off: set HOOKFLOW_CODEC_TOKEN for the Temporal UI and CLI to decode payloads',
    );
    return undefined;
  }
  return serveCodecEndpoint(
    {
      codec: historyCodec(config),
      token: config.codec.token,
      origins: config.codec.origins,
      namespace: config.temporal.namespace,
      logger,
    },
    config.admin.port,
    config.admin.host,
  );
}

/**
 * GitHub's hook addresses (`GET /meta`, a public endpoint) through hookflow's API client: its pacing,
 * budget and telemetry. With GITHUB_TOKEN the call uses the token's budget; otherwise (App mode, or
 * a server with no credentials) none, on GitHub's unauthenticated budget of 60 an hour per address
 * (an App's JWT is not accepted there).
 */
function githubMetaAllowList(
  config: ServerConfig,
  store: Store,
  logger: Logger,
  metrics: Metrics | undefined,
): MetaAllowList {
  const auth = config.api.token
    ? { kind: 'token' as const, token: config.api.token }
    : { kind: 'none' as const };
  const github = tokenlessClient(config, auth, store, logger, metrics);
  return metaAllowList({
    db: store.db,
    async fetchRanges() {
      const res = await github.request<{ hooks?: unknown }>({
        method: 'GET',
        url: 'meta',
        route: '/meta',
        installation: config.api.token ? 'token' : 'anonymous',
        requestId: 'server:allow-list',
      });
      const hooks = res.data.hooks;
      if (!Array.isArray(hooks)) throw new Error('GET /meta answered without a hooks list');
      return hooks.filter((h): h is string => typeof h === 'string');
    },
    refreshMs: config.ipAllowList.refreshMs,
    trustedProxies: config.trustedProxies.length > 0 ? rangeList(config.trustedProxies).list : undefined,
    logger: logger.child({ component: 'allow-list' }),
    metrics,
  });
}
