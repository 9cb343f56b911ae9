// One small interface over the two stores hookflow runs on: PostgreSQL (node-postgres pool, through
// DATABASE_URL) and the embedded PGlite (PostgreSQL compiled to WebAssembly, in the data folder).
// Both speak the same SQL, so the schema, the migrations and every query are shared.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { Reply, Request } from './embedded-thread';

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

/**
 * A client of `pool`, checked out. While it is out, node-postgres emits its connection's end (a
 * server restart, `pg_terminate_backend`) as an 'error' event on the client itself, which the
 * pool listens for only while the client is idle: with no listener, the process would crash. The
 * query in flight fails with that error anyway; here it only marks the client broken, so `release`
 * closes it instead of giving it back.
 */
async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => void (lost ??= err);
  client.on('error', onError);
  return {
    client,
    release: (err) => {
      client.off('error', onError);
      client.release(err ?? lost);
    },
  };
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
      const { client, release } = await checkOut(pool);
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
        release();
      }
    },
    async session<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const { client, release } = await checkOut(pool);
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
        release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * The embedded store, in a thread of its own (embedded-thread.ts says why). `dataDir` undefined
 * keeps the database in memory (tests).
 */
export async function openEmbedded(dataDir: string | undefined): Promise<Db> {
  const dir = dataDir === undefined ? undefined : path.join(dataDir, 'pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  // The thread's module beside this one: .js in dist/; .ts when running the sources under tsx,
  // whose loader a thread does not inherit, so the thread registers it first.
  const entry = path.join(__dirname, `embedded-thread${path.extname(__filename)}`);
  const workerData = { dataDir: dir };
  const thread = entry.endsWith('.ts')
    ? new Worker(
        `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`,
        { eval: true, workerData },
      )
    : new Worker(entry, { workerData });
  const pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let closed = false;
  let ready!: { resolve: (rows: unknown[]) => void; reject: (err: Error) => void };
  const started = new Promise<unknown[]>((resolve, reject) => (ready = { resolve, reject }));
  pending.set(0, ready);

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  thread.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (!p) return;
    if (r.error) p.reject(Object.assign(new Error(String(r.error.message)), r.error));
    else p.resolve(r.rows ?? []);
  });
  thread.on('error', (err) => failAll(err));
  thread.on('exit', (code) => {
    // Not asked to close: every later statement fails as storage unavailable (503, parked work)
    // until the process restarts, so it must not go unnoticed.
    if (!closed)
      process.emitWarning(`the embedded store's thread exited with code ${code}: restart hookflow`);
    closed = true;
    failAll(new Error(`PGlite is closed (its thread exited with code ${code})`));
  });

  const call = (m: DistributiveOmit<Request, 'id'>): Promise<unknown[]> => {
    if (closed) return Promise.reject(new Error('PGlite is closed'));
    const id = nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      thread.postMessage({ ...m, id });
    });
  };
  const queryOn =
    (tx?: number) =>
    async <T extends object>(sql: string, params?: unknown[]) => ({
      rows: (await call({ op: 'query', sql, params, ...(tx === undefined ? {} : { tx }) })) as T[],
    });

  try {
    await started;
  } catch (err) {
    await thread.terminate();
    throw err;
  }
  return {
    kind: 'embedded',
    query: queryOn(),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (closed) throw new Error('PGlite is closed');
      // The transaction is named by its begin message's ID, the next one `call` hands out.
      const tx = nextId;
      await call({ op: 'begin' });
      let result: T;
      try {
        result = await fn({ query: queryOn(tx) });
      } catch (err) {
        await call({ op: 'end', tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await call({ op: 'end', tx, commit: true });
      return result;
    },
    session: <T>(fn: (q: Queryable) => Promise<T>) => fn({ query: queryOn() }),
    async close() {
      if (closed) return;
      // PGlite's close waits for an open transaction: a stuck one may not hold shutdown for ever.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, 5_000)));
      await Promise.race([call({ op: 'close' }).catch(() => undefined), deadline]);
      clearTimeout(timer);
      closed = true;
      await thread.terminate();
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
