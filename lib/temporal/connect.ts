// Connection settings come from Temporal's own standard variables and profile files
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE…)
// through @temporalio/envconfig, so hookflow connects to a cluster exactly like the `temporal` CLI.
import { Connection, Client, type ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import type { Logger } from '../logger';

type ConnectOptions = ReturnType<typeof loadClientConnectConfig>['connectionOptions'];

function options(config: Pick<Config, 'env'>, address: string): ConnectOptions {
  const env = Object.fromEntries(
    Object.entries(config.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const loaded = loadClientConnectConfig({ overrideEnvVars: { ...env, TEMPORAL_ADDRESS: address } });
  return { ...loaded.connectionOptions, address };
}

/** A client connection for the server process; `lazy` so the server starts while Temporal is down. */
export function clientConnection(config: Pick<Config, 'env'>, address: string): Connection {
  const o = options(config, address);
  return Connection.lazy({
    address,
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}),
    ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
  });
}

/**
 * With `traced`, each workflow start (and signal, query…) is a span, and its context travels to the
 * workflow in the start's headers (Temporal's OpenTelemetry client interceptor).
 */
export function createClient(
  connection: ConnectionLike,
  namespace: string,
  traced = false,
  dataConverter?: DataConverter,
): Client {
  return new Client({
    connection,
    namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(traced ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
}

export async function workerConnection(
  config: Pick<Config, 'env'>,
  address: string,
): Promise<NativeConnection> {
  return NativeConnection.connect(options(config, address));
}

/**
 * A native connection made in the background, for a server process without a worker: the server
 * must start (and park deliveries) while Temporal is away, and a native connection, unlike the
 * JavaScript client's, cannot be made lazily. It is tried again every `retryMs` until it is made
 * or closed; the first failure and the connection's making are logged.
 */
export function backgroundNativeConnection(
  config: Pick<Config, 'env'>,
  address: string,
  retryMs: number,
  logger?: Pick<Logger, 'info' | 'warn'>,
): { current(): NativeConnection | undefined; close(): Promise<void> } {
  let connection: NativeConnection | undefined;
  let closed = false;
  let failed = false;
  let timer: NodeJS.Timeout | undefined;
  const connect = () => {
    // An attempt still under way at close() closes what it makes: close() does not wait for it
    // (while Temporal is away, one can take seconds).
    void NativeConnection.connect(options(config, address)).then(
      async (c) => {
        if (closed) return void (await c.close().catch(() => undefined));
        connection = c;
        if (failed) logger?.info('native connection to Temporal made: workflow starts go through it');
      },
      (err: unknown) => {
        if (!failed)
          logger?.warn(
            { err, retryMs },
            'no native connection to Temporal yet: workflow starts use the JavaScript client until it is made',
          );
        failed = true;
        if (!closed) timer = setTimeout(connect, retryMs);
      },
    );
  };
  connect();
  return {
    current: () => connection,
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = connection;
      connection = undefined;
      await c?.close();
    },
  };
}
