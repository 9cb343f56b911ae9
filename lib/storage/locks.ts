// Named locks that hold across every worker process (A5): a PostgreSQL advisory lock for the length
// of a transaction. The embedded store serves one process only, so there a lock is a promise chain.
import type { Db, Queryable } from './db';

export class LockTimeoutError extends Error {
  constructor(readonly lockName: string) {
    super(`lock ${lockName} was not free in time`);
    this.name = 'LockTimeoutError';
  }
}

/** 0x686b = "hk": the first key of hookflow's two-key advisory locks, apart from the migration lock. */
const LOCK_SPACE = 0x686b;

export type WithLock = <T>(name: string, waitMs: number, fn: (q: Queryable) => Promise<T>) => Promise<T>;

export function createLocks(db: Db): WithLock {
  if (db.kind === 'postgres') {
    return (name, waitMs, fn) =>
      db
        .transaction(async (tx) => {
          await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
          await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_SPACE, name]);
          return fn(tx);
        })
        .catch((err: unknown) => {
          // 55P03 lock_not_available: lock_timeout expired.
          if ((err as { code?: string }).code === '55P03') throw new LockTimeoutError(name);
          throw err;
        });
  }
  const tails = new Map<string, Promise<unknown>>();
  return async (name, _waitMs, fn) => {
    const before = tails.get(name) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => fn(db));
    tails.set(name, mine);
    try {
      return await mine;
    } finally {
      if (tails.get(name) === mine) tails.delete(name);
    }
  };
}
