// Sync checkpoints: where each listing activity of a sync job stands, so a job resumes where it was
// after a worker crash or a restart instead of starting its backfill over.
import type { Queryable } from './db';

/**
 * Where one listing activity stands: written in the same transaction as the page it follows, so a
 * retried activity (after a worker crash) resumes after the last stored page and re-fetches none.
 */
export interface Checkpoint<T> {
  next: string | null;
  totals: T;
}

export async function readCheckpoint<T>(q: Queryable, jobKey: string): Promise<Checkpoint<T> | undefined> {
  const { rows } = await q.query<{ next_url: string | null; totals: T }>(
    'SELECT next_url, totals FROM sync_checkpoints WHERE job_key = $1',
    [jobKey],
  );
  const r = rows[0];
  return r && { next: r.next_url, totals: r.totals };
}

export async function writeCheckpoint<T>(
  q: Queryable,
  jobKey: string,
  workflowId: string,
  c: Checkpoint<T>,
): Promise<void> {
  await q.query(
    `INSERT INTO sync_checkpoints (job_key, workflow_id, next_url, totals) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (job_key) DO UPDATE SET next_url = excluded.next_url, totals = excluded.totals, updated_at = now()`,
    [jobKey, workflowId, c.next, JSON.stringify(c.totals)],
  );
}

export async function deleteCheckpoints(q: Queryable, workflowId: string): Promise<void> {
  await q.query('DELETE FROM sync_checkpoints WHERE workflow_id = $1', [workflowId]);
}
