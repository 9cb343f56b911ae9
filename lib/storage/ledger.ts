// The delivery ledger: one row per delivery, which outlives Temporal's retention. It answers a
// repeat of a finished delivery without Temporal, keeps the payload the workflow reads back, and
// holds the outcome each workflow records at its end.
import type { DeliveryOutcome, DeliveryRef } from '../contracts/delivery-ref';
import type { Queryable } from './db';
import { storableTextOrNull } from './storable-text';

export interface LedgerInsert {
  ref: DeliveryRef;
  contentType: string;
  rawBody: Buffer | null;
  /** The key ID `rawBody` is sealed with (store.ts seals it); null: plain text. */
  bodyKeyId?: string | null;
  /** The workflow to start; null when the delivery is ignored (then no body is kept). */
  workflowType: string | null;
  reason?: string | undefined;
  /** Also record the delivery's installation as `unverified` if it is not known yet (same statement). */
  noteInstallation?: boolean;
}

export interface DeliveryRow {
  delivery_key: string;
  provider: string;
  source: string;
  hook_id: string;
  delivery_id: string;
  event: string;
  action: string | null;
  installation: string | null;
  repository: string | null;
}

export const toRef = (r: DeliveryRow): DeliveryRef => ({
  key: r.delivery_key,
  provider: r.provider,
  source: r.source,
  hookId: r.hook_id,
  deliveryId: r.delivery_id,
  event: r.event,
  action: r.action,
  installation: r.installation,
  repository: r.repository,
});

/**
 * Records a delivery (or counts a repeat of one). Returns whether the row is new and the outcome the
 * ledger held, so a repeat of a completed delivery is known without Temporal. `retention` is a
 * PostgreSQL interval (`'30 days'`).
 */
export async function recordDelivery(
  q: Queryable,
  d: LedgerInsert,
  retention: string,
): Promise<{ inserted: boolean; outcome: DeliveryOutcome }> {
  const { ref } = d;
  const { rows } = await q.query<{ inserted: boolean; outcome: DeliveryOutcome }>(
    `WITH installation AS (
       INSERT INTO installations (provider, installation_id, source, status)
       SELECT $2, $7, $14, 'unverified' WHERE $15::boolean AND $7::text IS NOT NULL
       ON CONFLICT DO NOTHING)
     INSERT INTO deliveries (delivery_key, provider, hook_id, delivery_id, event, action, installation,
       repository, content_type, raw_body, workflow_type, outcome, reason, finished_at, expires_at, source,
       body_key_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $11::text IS NULL THEN NULL ELSE $10::bytea END, $11,
       CASE WHEN $11::text IS NULL THEN 'ignored' ELSE 'received' END, $12,
       CASE WHEN $11::text IS NULL THEN now() END, now() + $13::interval, $14,
       CASE WHEN $11::text IS NULL THEN NULL ELSE $16::text END)
     ON CONFLICT (delivery_key) DO UPDATE
       SET receive_count = deliveries.receive_count + 1, last_received_at = now()
     RETURNING (xmax = 0) AS inserted, outcome`,
    [
      ref.key,
      ref.provider,
      ref.hookId,
      ref.deliveryId,
      ref.event,
      ref.action,
      ref.installation,
      ref.repository,
      d.contentType,
      d.rawBody,
      d.workflowType,
      storableTextOrNull(d.reason ?? null),
      retention,
      ref.source,
      d.noteInstallation ?? false,
      d.bodyKeyId ?? null,
    ],
  );
  return rows[0];
}

/** Deliveries whose workflows started, in one statement (the front door batches them). */
export async function markAccepted(
  q: Queryable,
  items: { key: string; workflowId: string; runId: string | null }[],
): Promise<void> {
  if (items.length === 0) return;
  await q.query(
    `UPDATE deliveries d SET outcome = 'accepted', workflow_id = a.workflow_id, run_id = coalesce(a.run_id, d.run_id), reason = NULL
     FROM unnest($1::text[], $2::text[], $3::text[]) AS a(delivery_key, workflow_id, run_id)
     WHERE d.delivery_key = a.delivery_key
       AND (d.outcome IN ('received', 'queued')
            -- a failed delivery redelivered: a new run, not the one that failed (whose
            -- failure may be recorded before this batched mark arrives)
            OR (d.outcome = 'failed' AND a.run_id IS NOT NULL AND d.run_id IS DISTINCT FROM a.run_id))`,
    [items.map((i) => i.key), items.map((i) => i.workflowId), items.map((i) => i.runId)],
  );
}

/** A replay's new run: the delivery is running again, whatever its last run's outcome was. */
export async function markReplayed(q: Queryable, key: string, runId: string): Promise<void> {
  await q.query(
    `UPDATE deliveries SET outcome = 'accepted', run_id = $2, reason = NULL, finished_at = NULL
     WHERE delivery_key = $1 AND run_id IS DISTINCT FROM $2 AND outcome <> 'accepted'`,
    [key, runId],
  );
}

/**
 * The workflow's own record of how it ended. A delivery of an installation removed meanwhile gives
 * up its payload now (uninstall kept it only while the workflow needed it). The reason may quote the
 * payload (an error message naming a field's value), so it is made storable first. Returns whether
 * this is the first record of this run's end (its last activity may be retried).
 */
export async function finishDelivery(
  q: Queryable,
  key: string,
  outcome: 'completed' | 'failed',
  reason: string | null,
  runId: string | null,
): Promise<{ firstRecord: boolean }> {
  const { rows } = await q.query<{ first_record: boolean }>(
    `WITH before AS (
       SELECT last_finished_run IS NOT DISTINCT FROM $4::text AS recorded
       FROM deliveries WHERE delivery_key = $1 FOR UPDATE)
     UPDATE deliveries d SET outcome = $2, reason = $3, finished_at = now(), run_id = coalesce($4, d.run_id),
       finished_runs = d.finished_runs + CASE
         WHEN $4::text IS NOT NULL AND d.last_finished_run IS NOT DISTINCT FROM $4::text THEN 0 ELSE 1 END,
       last_finished_run = coalesce($4, d.last_finished_run),
       raw_body = CASE WHEN EXISTS (
         SELECT 1 FROM installations i
         WHERE i.provider = d.provider AND i.installation_id = d.installation AND i.status = 'removed')
       THEN NULL ELSE d.raw_body END
     FROM before
     WHERE delivery_key = $1
     RETURNING ($4::text IS NULL OR NOT before.recorded) AS first_record`,
    [key, outcome, storableTextOrNull(reason), runId],
  );
  return { firstRecord: rows[0]?.first_record ?? false };
}

export interface LedgerEntry {
  ref: DeliveryRef;
  outcome: DeliveryOutcome;
  reason: string | null;
  workflowId: string | null;
  runId: string | null;
  contentType: string;
  /** As stored: sealed when `bodyKeyId` names a key (the store opens it). */
  rawBody: Buffer | null;
  bodyKeyId: string | null;
  receiveCount: number;
  receivedAt: Date;
}

export async function getDelivery(q: Queryable, key: string): Promise<LedgerEntry | undefined> {
  const { rows } = await q.query<
    DeliveryRow & {
      outcome: DeliveryOutcome;
      reason: string | null;
      workflow_id: string | null;
      run_id: string | null;
      content_type: string;
      raw_body: Uint8Array | null;
      body_key_id: string | null;
      receive_count: number;
      received_at: Date;
    }
  >('SELECT * FROM deliveries WHERE delivery_key = $1', [key]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    ref: toRef(r),
    outcome: r.outcome,
    reason: r.reason,
    workflowId: r.workflow_id,
    runId: r.run_id,
    contentType: r.content_type,
    rawBody: r.raw_body === null ? null : Buffer.from(r.raw_body),
    bodyKeyId: r.body_key_id,
    receiveCount: r.receive_count,
    receivedAt: new Date(r.received_at),
  };
}

/** Deletes ledger rows past their retention (their outbox entries go with them); returns how many went. */
export async function purgeExpired(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>(
    `WITH gone AS (DELETE FROM deliveries WHERE expires_at < now() RETURNING 1) SELECT count(*) AS n FROM gone`,
  );
  return Number(rows[0].n);
}

/** The ledger outcome of each of `deliveryIds` that reached hookflow through `source`. */
export async function outcomesOf(
  q: Queryable,
  provider: string,
  source: string,
  deliveryIds: string[],
): Promise<Map<string, DeliveryOutcome>> {
  if (deliveryIds.length === 0) return new Map();
  const { rows } = await q.query<{ delivery_id: string; outcome: DeliveryOutcome }>(
    `SELECT delivery_id, outcome FROM deliveries
     WHERE delivery_id = ANY($3::text[]) AND provider = $1 AND source = $2`,
    [provider, source, deliveryIds],
  );
  return new Map(rows.map((r) => [r.delivery_id, r.outcome]));
}
