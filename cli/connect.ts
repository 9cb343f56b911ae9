// What the CLI's commands connect to: Temporal (the cluster of TEMPORAL_ADDRESS, else the local dev
// server `npm start` runs) and hookflow's storage (the ledger). Errors say what to do.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../lib/config';
import { dataConverterFor } from '../lib/temporal/data-converter';
import { createSealer, type Sealer } from '../lib/crypto';
import { openSecrets, type HookSecret } from '../lib/hook-secrets';
import { openStore, type Store } from '../lib/storage';
import type { DeliverySummary } from '../lib/storage/delivery-listing';

export class CliError extends Error {}

export async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${address} (${(err as Error).message}): is hookflow running (npm start)?`,
    );
  }
  try {
    return await fn(
      new Client({
        connection,
        namespace: config.temporal.namespace,
        dataConverter: dataConverterFor(config, { existingKeysOnly: true }),
      }),
    );
  } finally {
    await connection.close();
  }
}

/**
 * The ledger lives in hookflow's storage. The embedded store (PGlite) is a single-process database
 * that `npm start` holds open, so the CLI reads the ledger only from PostgreSQL.
 */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  if (config.databaseUrl === undefined) {
    throw new CliError(
      'the ledger is read from PostgreSQL: set DATABASE_URL to the database hookflow uses (the embedded store of `npm start` is single-process, and is not shared with the CLI)',
    );
  }
  const store = await openStore(config, 2);
  try {
    return await fn(store);
  } finally {
    await store.db.close();
  }
}

/** The one delivery a person names (a GUID that reached several hooks must be named by workflow ID). */
export async function theDelivery(store: Store, id: string): Promise<DeliverySummary> {
  const found = await store.findDeliveries(id);
  if (found.length === 0) throw new CliError(`no delivery ${id} in the ledger`);
  if (found.length > 1)
    throw new CliError(
      `${id} reached several hooks; name one by its workflow ID: ${found.map((d) => d.workflowId).join(', ')}`,
    );
  return found[0];
}

/** The servers open what the CLI seals: without their key, nothing it stored would verify. */
export function hookSealer(config: Config): Sealer {
  if (config.api.encryptionKeys.length === 0)
    throw new CliError(
      'hook secrets are sealed with HOOKFLOW_ENCRYPTION_KEY: set it to the key every hookflow server has (make one with: openssl rand -base64 32)',
    );
  return createSealer(config.api.encryptionKeys);
}

/** A managed hook's secrets, or what to set when they cannot be opened. */
export function openHookSecrets(
  sealer: Sealer,
  hook: { hookId: string; sealedSecrets: string },
): HookSecret[] {
  try {
    return openSecrets(sealer, hook.sealedSecrets);
  } catch (err) {
    throw new CliError(
      `cannot open hook ${hook.hookId}'s secrets (${(err as Error).message}): set HOOKFLOW_ENCRYPTION_KEY to the key the servers use`,
    );
  }
}
