// One small interface over the two stores hookflow runs on: PostgreSQL (node-postgres pool, through
// DATABASE_URL) and the embedded PGlite (PostgreSQL compiled to WebAssembly, in the data folder).
// Both speak the same SQL, so the schema, the migrations and every query are shared.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one connection of its own, outside a transaction (session-level locks need that).
   * A connection on which a query failed is closed rather than reused, so a lock it held goes with it.
   */
  session<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Errors that mean "the store cannot be reached", as opposed to a bad query (a bug). */
export function isStorageUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  const networkCodes = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'];
  if (e.code && networkCodes.includes(e.code)) return true;
  // 08xxx connection exceptions, 53xxx insufficient resources, 57P0x admin shutdown / cannot connect now.
  if (e.code && /^(08|53|57P0)/.test(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|PGlite is closed/i.test(
    e.message ?? '',
  );
}

export function openPostgres(url: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 2_000 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return {
    kind: 'postgres',
    query: async <T extends object>(sql: string, params?: unknown[]) => {
      const res = await pool.query(sql, params);
      return { rows: res.rows as T[] };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: async <R extends object>(sql: string, params?: unknown[]) => {
            const res = await client.query(sql, params);
            return { rows: res.rows as R[] };
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async session<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await fn({
          query: async <R extends object>(sql: string, params?: unknown[]) => {
            try {
              const res = await client.query(sql, params);
              return { rows: res.rows as R[] };
            } catch (err) {
              broken = err as Error;
              throw err;
            }
          },
        });
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/** `dataDir` undefined keeps the database in memory (tests). */
export async function openEmbedded(dataDir: string | undefined): Promise<Db> {
  let db: PGlite;
  if (dataDir === undefined) {
    db = new PGlite();
  } else {
    const dir = path.join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    db = new PGlite(dir);
  }
  await db.waitReady;
  return {
    kind: 'embedded',
    query: async <T extends object>(sql: string, params?: unknown[]) => {
      const res = await db.query<T>(sql, params);
      return { rows: res.rows };
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      db.transaction(async (tx) =>
        fn({
          query: async <R extends object>(sql: string, params?: unknown[]) => {
            const res = await tx.query<R>(sql, params);
            return { rows: res.rows };
          },
        }),
      ),
    session: <T>(fn: (q: Queryable) => Promise<T>) => fn({ query: (sql, params) => db.query(sql, params) }),
    close: () => db.close(),
  };
}
