// Whether one of hookflow's named locks (lib/storage/locks.ts) is held, as PostgreSQL's pg_locks
// shows it: a test that needs a lock held waits for this rather than sleeping and hoping.
// https://www.postgresql.org/docs/current/view-pg-locks.html
import type { Queryable } from '../../lib/storage/db';
import { LOCK_SPACE } from '../../lib/storage/locks';

export async function advisoryLockHeld(db: Queryable, name: string): Promise<boolean> {
  // A two-key advisory lock shows its keys as classid and objid (objsubid 2), both as unsigned oids.
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid = $1::int8::oid AND objid = (hashtext($2)::int8 & 4294967295)::oid`,
    [LOCK_SPACE, name],
  );
  return Number(rows[0]?.n) > 0;
}
