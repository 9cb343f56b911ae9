// Opens hookflow's storage (PostgreSQL or the embedded PGlite), brings its schema up to date and
// hands back the Store the server and the worker share.
import type { Config } from '../config';
import { atRestKeys, createBodyKeyring } from '../crypto';
import { openEmbedded, openPostgres, type Db } from './db';
import { migrate } from './migrations';
import { createStore, type Store, type StoreOptions } from './store';

export type { Store } from './store';
export { isStorageUnavailable } from './db';

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded store under the data folder; an embedded
 * store with `dataDir` undefined lives in memory (tests).
 */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'ledgerRetentionDays'> &
    Partial<Pick<Config, 'historyEncryption' | 'api' | 'databasePoolSize'>> & { dataDir: string | undefined },
  /**
   * PostgreSQL connections unless HOOKFLOW_DB_POOL_SIZE says otherwise. A worker opens more than
   * its activity slots: each request holding an installation's turn keeps a connection for the
   * request, and the page writes need theirs.
   */
  poolSize = 10,
): Promise<Store> {
  const db: Db = config.databaseUrl
    ? openPostgres(config.databaseUrl, config.databasePoolSize ?? poolSize)
    : await openEmbedded(config.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return createStore(db, { retentionDays: config.ledgerRetentionDays, bodies: bodyKeys(config) });
}

/**
 * Raw bodies are sealed with the same keys as Temporal's payloads while encryption at rest is on:
 * the configured keys, else the data folder's (made on first use, as for payloads). Off, they are
 * kept as sent, and those sealed before still open with whatever keys there are.
 */
function bodyKeys(
  config: Partial<Pick<Config, 'historyEncryption' | 'api'>> & { dataDir: string | undefined },
): StoreOptions['bodies'] {
  const seal = config.historyEncryption === true;
  const keys = atRestKeys(config.api?.encryptionKeys ?? [], config.dataDir, seal);
  return keys.length > 0 ? { keyring: createBodyKeyring(keys), seal } : undefined;
}
