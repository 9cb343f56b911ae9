// The outbox: deliveries whose workflow could not be started (Temporal unreachable) wait here, in
// the same database as the ledger, until the server's relay starts them.
import type { DeliveryRef } from '../contracts/delivery-ref';
import type { Db, Queryable } from './db';
import { markAccepted, toRef, type DeliveryRow } from './ledger';
import { storableText } from './storable-text';

export interface OutboxItem {
  ref: DeliveryRef;
  workflowType: string;
  /** A redelivery of a failed delivery: its failed run may run again. */
  rerunFailed: boolean;
  attempts: number;
  /** The W3C trace context (`traceparent`, `tracestate`) of the request that parked it. */
  traceContext: Record<string, string> | undefined;
  /** The payload as received (null once dropped), and when: what its run's summary is made of. */
  contentType: string;
  /** As stored: sealed when `bodyKeyId` names a key (the store opens it). */
  rawBody: Buffer | null;
  bodyKeyId: string | null;
  receivedAt: Date;
}

/** Parks a delivery whose workflow could not be started; the relay starts it later. */
export async function enqueue(
  db: Db,
  key: string,
  error: string,
  rerunFailed = false,
  traceContext?: Record<string, string>,
): Promise<void> {
  const trace = traceContext && Object.keys(traceContext).length > 0 ? JSON.stringify(traceContext) : null;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO outbox (delivery_key, last_error, rerun_failed, trace_context) VALUES ($1, $2, $3, $4)
       ON CONFLICT (delivery_key) DO UPDATE
         SET last_error = excluded.last_error, rerun_failed = outbox.rerun_failed OR excluded.rerun_failed,
             trace_context = coalesce(outbox.trace_context, excluded.trace_context)`,
      [key, storableText(error), rerunFailed, trace],
    );
    await tx.query(
      // A failed delivery stays `failed` until a new run of it actually starts.
      `UPDATE deliveries SET outcome = 'queued' WHERE delivery_key = $1 AND outcome = 'received'`,
      [key],
    );
  });
}

/**
 * Leases up to `limit` due outbox items for `leaseMs`, so relays of several server replicas never
 * start the same item at once (and a crashed relay's lease simply runs out).
 */
export async function leaseOutbox(q: Queryable, limit: number, leaseMs: number): Promise<OutboxItem[]> {
  const { rows } = await q.query<
    DeliveryRow & {
      attempts: number;
      workflow_type: string;
      rerun_failed: boolean;
      trace_context: string | null;
      content_type: string;
      raw_body: Uint8Array | null;
      body_key_id: string | null;
      received_at: Date;
    }
  >(
    `WITH due AS (
       SELECT delivery_key FROM outbox WHERE next_attempt_at <= now()
       ORDER BY enqueued_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM due, deliveries d
     WHERE o.delivery_key = due.delivery_key AND d.delivery_key = o.delivery_key
     RETURNING d.*, o.attempts, o.rerun_failed, o.trace_context`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    ref: toRef(r),
    workflowType: r.workflow_type,
    rerunFailed: r.rerun_failed,
    attempts: r.attempts,
    traceContext: r.trace_context ? (JSON.parse(r.trace_context) as Record<string, string>) : undefined,
    contentType: r.content_type,
    rawBody: r.raw_body === null ? null : Buffer.from(r.raw_body),
    bodyKeyId: r.body_key_id,
    receivedAt: new Date(r.received_at),
  }));
}

/**
 * A row still `received` long after it arrived lost its workflow start to a crash between the two
 * writes: park it in the outbox too (the relay's start is a no-op if it did start).
 */
export async function enqueueStranded(q: Queryable, olderThanMs: number): Promise<number> {
  const { rows } = await q.query<{ n: string }>(
    `WITH stranded AS (
       UPDATE deliveries SET outcome = 'queued'
       WHERE outcome = 'received' AND received_at < now() - $1 * interval '1 millisecond'
       RETURNING delivery_key),
     parked AS (
       INSERT INTO outbox (delivery_key, last_error) SELECT delivery_key, 'stranded before its start' FROM stranded
       ON CONFLICT DO NOTHING RETURNING 1)
     SELECT count(*) AS n FROM parked`,
    [olderThanMs],
  );
  return Number(rows[0].n);
}

/** The relay started the item's workflow: it leaves the outbox and its delivery is accepted, together. */
export async function outboxDone(
  db: Db,
  key: string,
  workflowId: string,
  runId: string | null,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM outbox WHERE delivery_key = $1', [key]);
    await markAccepted(tx, [{ key, workflowId, runId }]);
  });
}

export async function outboxRetryLater(
  q: Queryable,
  key: string,
  error: string,
  delayMs: number,
): Promise<void> {
  await q.query(
    `UPDATE outbox SET last_error = $2, next_attempt_at = now() + $3 * interval '1 millisecond'
     WHERE delivery_key = $1`,
    [key, storableText(error), delayMs],
  );
}

export async function outboxDepth(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
  return Number(rows[0].n);
}

/**
 * Gives a parked delivery up as dead: out of the outbox, and `dead` in the ledger with why, so it is
 * listed (`deliveries list --status dead`) and can be replayed once the cause is fixed.
 */
export async function deadLetter(db: Db, key: string, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM outbox WHERE delivery_key = $1', [key]);
    await tx.query(
      `UPDATE deliveries SET outcome = 'dead', reason = $2, finished_at = now() WHERE delivery_key = $1`,
      [key, storableText(error)],
    );
  });
}
