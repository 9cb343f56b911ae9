// What reconciliation against GitHub's delivery log keeps between passes: per hook, the time before
// which every logged delivery was processed (a pass lists down to it, minus an overlap, instead of
// the whole log), each GUID hookflow asked GitHub to send again, so it is never asked twice — not by
// a retried activity, not by a later pass, not by a pass running beside it — and each
// failed-in-hookflow delivery the reconciler replayed, so it replays none twice.
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

export type RedeliveryState = 'sending' | 'sent' | 'refused' | 'unconfirmed' | 'expired';

/** How hookflow's request for a GUID stands, and since when (a claim left `sending` may be stale). */
export interface AskedState {
  state: RedeliveryState;
  askedAt: Date;
}

/** The GUIDs of `guids` hookflow has asked for (or recorded as expired), with how that request stands. */
export async function askedFor(
  q: Queryable,
  source: string,
  guids: string[],
): Promise<Map<string, AskedState>> {
  if (guids.length === 0) return new Map();
  const { rows } = await q.query<{ guid: string; state: RedeliveryState; asked_at: Date }>(
    'SELECT guid, state, asked_at FROM reconcile_redeliveries WHERE source = $1 AND guid = ANY($2::text[])',
    [source, guids],
  );
  return new Map(rows.map((r) => [r.guid, { state: r.state, askedAt: new Date(r.asked_at) }]));
}

export type Claim = { taken: true } | { taken: false; state: RedeliveryState; mine: boolean };

/**
 * Claims the one request for a GUID before it is sent. Not taken when it is claimed already: asked
 * before, or being asked right now by another pass. A claim still `sending` is taken again by the
 * activity that made it (its earlier attempt died before the request) and by anyone once it is
 * `staleAfterMs` old or more (its worker died: no attempt of it can still be running; the embedded
 * store's clock may give two statements the same time, so 0 means any claim).
 */
export async function claimRedelivery(
  q: Queryable,
  c: { source: string; guid: string; attemptId: string; claimant: string; staleAfterMs: number },
): Promise<Claim> {
  const { rows } = await q.query(
    `INSERT INTO reconcile_redeliveries (source, guid, attempt_id, state, claimed_by)
     VALUES ($1, $2, $3, 'sending', $4)
     ON CONFLICT (source, guid) DO UPDATE
       SET attempt_id = excluded.attempt_id, claimed_by = excluded.claimed_by, asked_at = now()
       WHERE reconcile_redeliveries.state = 'sending'
         AND (reconcile_redeliveries.claimed_by = excluded.claimed_by
              OR reconcile_redeliveries.asked_at <= now() - ($5::bigint * interval '1 millisecond'))
     RETURNING guid`,
    [c.source, c.guid, c.attemptId, c.claimant, c.staleAfterMs],
  );
  if (rows.length === 1) return { taken: true };
  const held = await q.query<{ state: RedeliveryState; claimed_by: string | null }>(
    'SELECT state, claimed_by FROM reconcile_redeliveries WHERE source = $1 AND guid = $2',
    [c.source, c.guid],
  );
  const row = held.rows[0];
  // Gone between the two statements (released, purged): whoever released it asks; this one does not.
  if (!row) return { taken: false, state: 'sending', mine: false };
  return { taken: false, state: row.state, mine: row.claimed_by === c.claimant };
}

export async function settleRedelivery(
  q: Queryable,
  source: string,
  guid: string,
  state: 'sent' | 'refused' | 'unconfirmed',
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

/**
 * Records GUIDs found past GitHub's redelivery window, so each is counted once however often a pass
 * lists it again. Returns how many this pass recorded (`claimant`: a retry of the same pass's scan
 * counts its own again, since its count was not reported yet).
 */
export async function recordExpired(
  q: Queryable,
  source: string,
  expired: { guid: string; attemptId: string }[],
  claimant: string,
): Promise<number> {
  if (expired.length === 0) return 0;
  const { rows } = await q.query(
    `INSERT INTO reconcile_redeliveries (source, guid, attempt_id, state, claimed_by)
     SELECT $1, g, a, 'expired', $4 FROM unnest($2::text[], $3::text[]) AS t(g, a)
     ON CONFLICT (source, guid) DO UPDATE SET claimed_by = excluded.claimed_by
       WHERE reconcile_redeliveries.state = 'expired' AND reconcile_redeliveries.claimed_by = excluded.claimed_by
     RETURNING guid`,
    [source, expired.map((e) => e.guid), expired.map((e) => e.attemptId), claimant],
  );
  return rows.length;
}

/**
 * Notes that the gap below the watermark `from` was counted; false when it was counted already (a
 * pass that could not move the watermark finds the same gap again).
 */
export async function noteGap(q: Queryable, source: string, from: Date): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE reconcile_watermarks SET gap_counted_from = $2
     WHERE source = $1 AND gap_counted_from IS DISTINCT FROM $2 RETURNING source`,
    [source, from],
  );
  return rows.length === 1;
}

/** The GUIDs of `guids` the reconciler replayed (or is replaying, or found it could not). */
export async function replayedFor(q: Queryable, source: string, guids: string[]): Promise<Set<string>> {
  if (guids.length === 0) return new Set();
  const { rows } = await q.query<{ guid: string }>(
    'SELECT guid FROM reconcile_replays WHERE source = $1 AND guid = ANY($2::text[])',
    [source, guids],
  );
  return new Set(rows.map((r) => r.guid));
}

/**
 * Claims the reconciler's one replay of a failed-in-hookflow delivery. Taken again only by the
 * activity that claimed it (its earlier attempt died before recording how the replay went).
 */
export async function claimReplay(
  q: Queryable,
  source: string,
  guid: string,
  claimant: string,
): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO reconcile_replays (source, guid, state, claimed_by) VALUES ($1, $2, 'replaying', $3)
     ON CONFLICT (source, guid) DO UPDATE SET replayed_at = now()
       WHERE reconcile_replays.state = 'replaying' AND reconcile_replays.claimed_by = excluded.claimed_by
     RETURNING guid`,
    [source, guid, claimant],
  );
  return rows.length === 1;
}

export async function settleReplay(
  q: Queryable,
  source: string,
  guid: string,
  outcome: { state: 'replayed'; runId: string } | { state: 'refused'; reason: string },
): Promise<void> {
  await q.query(
    'UPDATE reconcile_replays SET state = $3, run_id = $4, reason = $5 WHERE source = $1 AND guid = $2',
    [
      source,
      guid,
      outcome.state,
      outcome.state === 'replayed' ? outcome.runId : null,
      outcome.state === 'refused' ? storableTextOrNull(outcome.reason) : null,
    ],
  );
}

/** The replay could not be started (Temporal unreachable): a later attempt may replay it. */
export async function releaseReplay(q: Queryable, source: string, guid: string): Promise<void> {
  await q.query(`DELETE FROM reconcile_replays WHERE source = $1 AND guid = $2 AND state = 'replaying'`, [
    source,
    guid,
  ]);
}

/** Requests and replays older than GitHub keeps deliveries for can never be looked at again. */
export async function purgeRedeliveries(q: Queryable, olderThanMs: number): Promise<void> {
  await q.query(
    `DELETE FROM reconcile_redeliveries WHERE asked_at < now() - ($1::bigint * interval '1 millisecond')`,
    [olderThanMs],
  );
  await q.query(
    `DELETE FROM reconcile_replays WHERE replayed_at < now() - ($1::bigint * interval '1 millisecond')`,
    [olderThanMs],
  );
}
