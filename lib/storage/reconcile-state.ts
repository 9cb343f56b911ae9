// What reconciliation against GitHub's delivery log keeps between passes: per hook, the time before
// which every logged delivery was processed (a pass lists down to it, minus an overlap, instead of
// the whole log), and each GUID hookflow asked GitHub to send again, so it is never asked twice —
// not by a retried activity, not by a later pass, not by a pass running beside it.
import type { Queryable } from './db';
import { storableTextOrNull } from './storable-text';

export async function readWatermark(q: Queryable, source: string): Promise<Date | undefined> {
  const { rows } = await q.query<{ processed_before: Date }>(
    'SELECT processed_before FROM reconcile_watermarks WHERE source = $1',
    [source],
  );
  return rows[0] ? new Date(rows[0].processed_before) : undefined;
}

/** Moves the watermark forward only: a slower pass finishing late never moves it back. */
export async function advanceWatermark(q: Queryable, source: string, to: Date): Promise<void> {
  await q.query(
    `INSERT INTO reconcile_watermarks (source, processed_before) VALUES ($1, $2)
     ON CONFLICT (source) DO UPDATE SET processed_before = greatest(reconcile_watermarks.processed_before, excluded.processed_before), updated_at = now()`,
    [source, to],
  );
}

export type RedeliveryState = 'sending' | 'sent' | 'refused';

/** The GUIDs of `guids` hookflow has asked for already, with how that request ended. */
export async function askedFor(
  q: Queryable,
  source: string,
  guids: string[],
): Promise<Map<string, RedeliveryState>> {
  if (guids.length === 0) return new Map();
  const { rows } = await q.query<{ guid: string; state: RedeliveryState }>(
    'SELECT guid, state FROM reconcile_redeliveries WHERE source = $1 AND guid = ANY($2::text[])',
    [source, guids],
  );
  return new Map(rows.map((r) => [r.guid, r.state]));
}

/**
 * Claims the one request for a GUID before it is sent. False when it is claimed already: asked
 * before, or being asked right now by another pass.
 */
export async function claimRedelivery(
  q: Queryable,
  source: string,
  guid: string,
  attemptId: string,
): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO reconcile_redeliveries (source, guid, attempt_id, state) VALUES ($1, $2, $3, 'sending')
     ON CONFLICT (source, guid) DO NOTHING RETURNING guid`,
    [source, guid, attemptId],
  );
  return rows.length === 1;
}

export async function settleRedelivery(
  q: Queryable,
  source: string,
  guid: string,
  state: 'sent' | 'refused',
  reason: string | null = null,
): Promise<void> {
  await q.query('UPDATE reconcile_redeliveries SET state = $3, reason = $4 WHERE source = $1 AND guid = $2', [
    source,
    guid,
    state,
    storableTextOrNull(reason),
  ]);
}

/** GitHub answered that it did not send it (a 5xx, a rate limit): a later attempt may ask again. */
export async function releaseRedelivery(q: Queryable, source: string, guid: string): Promise<void> {
  await q.query(`DELETE FROM reconcile_redeliveries WHERE source = $1 AND guid = $2 AND state = 'sending'`, [
    source,
    guid,
  ]);
}

/** Requests older than GitHub keeps deliveries for can never be looked at again. */
export async function purgeRedeliveries(q: Queryable, olderThanMs: number): Promise<void> {
  await q.query(
    `DELETE FROM reconcile_redeliveries WHERE asked_at < now() - ($1::bigint * interval '1 millisecond')`,
    [olderThanMs],
  );
}
