// Named locks that hold across every worker process, so the requests for one installation are made
// one at a time (GitHub's secondary rate limits punish concurrent ones): a PostgreSQL session-level
// advisory lock, taken with pg_try_advisory_lock. A waiter holds no connection while it waits (it
// polls), and the holder keeps one connection for the length of its work; if the holder dies, its
// connection closes and the lock goes with it. The embedded store serves one process only, so there
// a lock is a promise chain.
import type { Db, Queryable } from './db';

export class LockTimeoutError extends Error {
  constructor(readonly lockName: string) {
    super(`lock ${lockName} was not free in time`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * 0x686b = "hk": the first key of hookflow's two-key advisory locks, apart from the migration lock.
 * In `pg_locks` a lock named `name` is the advisory lock with classid LOCK_SPACE and objid
 * hashtext(name).
 */
export const LOCK_SPACE = 0x686b;
const POLL_MS = { min: 5, max: 25 };

/** `fn` runs holding the lock, on the lock's own connection (no transaction: each write commits). */
export type WithLock = <T>(name: string, waitMs: number, fn: (q: Queryable) => Promise<T>) => Promise<T>;

export function createLocks(db: Db): WithLock {
  if (db.kind === 'postgres') {
    return async <T>(name: string, waitMs: number, fn: (q: Queryable) => Promise<T>): Promise<T> => {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const attempt = await db.session(async (q) => {
          const { rows } = await q.query<{ ok: boolean }>(
            'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
            [LOCK_SPACE, name],
          );
          if (!rows[0]?.ok) return { held: false as const };
          try {
            return { held: true as const, value: await fn(q) };
          } finally {
            await q.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, name]);
          }
        });
        if (attempt.held) return attempt.value;
        if (Date.now() >= deadline) throw new LockTimeoutError(name);
        await new Promise((r) => setTimeout(r, POLL_MS.min + Math.random() * (POLL_MS.max - POLL_MS.min)));
      }
    };
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
