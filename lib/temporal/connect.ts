// Connection settings come from Temporal's own standard variables and profile files
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE…)
// through @temporalio/envconfig, so hookflow connects to a cluster exactly like the `temporal` CLI.
import { Connection, Client, type ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

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
