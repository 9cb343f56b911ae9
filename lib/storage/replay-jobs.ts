// Bulk replay jobs in the ledger's database. A job's selection is frozen into rows when it starts
// (the dry run counts with the same filter and order, so its count is what a job would run), and
// each row records what became of its delivery, so a retried step never replays a delivery twice.
import type { ReplayJobProgress, ReplaySelection } from '../contracts/replay-job';
import type { Db, Queryable } from './db';
import {
  COLUMNS,
  filterWhere,
  toSummary,
  type DeliveryFilter,
  type DeliverySummary,
  type SummaryRow,
} from './delivery-listing';

/** Oldest first: a replay re-runs a repository's events in the order they happened. */
const REPLAY_ORDER = 'ORDER BY received_at, delivery_key';

function selectionFilter(s: ReplaySelection): Omit<DeliveryFilter, 'limit'> {
  return {
    status: s.status as DeliveryFilter['status'],
    event: s.event,
    action: s.action,
    installation: s.installation,
    repository: s.repository,
    since: s.since === undefined ? undefined : new Date(s.since),
    until: s.until === undefined ? undefined : new Date(s.until),
  };
}

/** What a job over `selection` would replay: how many, and the first few in replay order. */
export async function previewSelection(
  q: Queryable,
  selection: ReplaySelection,
  max: number | null,
  sampleSize: number,
): Promise<{ matched: number; sample: DeliverySummary[] }> {
  const params: unknown[] = [];
  const where = filterWhere(selectionFilter(selection), params);
  const { rows } = await q.query<{ n: string }>(`SELECT count(*) AS n FROM deliveries ${where}`, params);
  const matched = max === null ? Number(rows[0].n) : Math.min(Number(rows[0].n), max);
  params.push(Math.min(sampleSize, matched));
  const sample = await q.query<SummaryRow>(
    `SELECT ${COLUMNS} FROM deliveries ${where} ${REPLAY_ORDER} LIMIT $${params.length}`,
    params,
  );
  return { matched, sample: sample.rows.map(toSummary) };
}

/**
 * Freezes the job's selection, once: a second call (a retried activity) finds the job and returns
 * the count frozen the first time.
 */
export async function freezeSelection(
  db: Db,
  job: string,
  selection: ReplaySelection,
  max: number | null,
): Promise<number> {
  return db.transaction(async (tx) => {
    const created = await tx.query<{ job: string }>(
      `INSERT INTO replay_jobs (job, selection, matched) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING RETURNING job`,
      [job, JSON.stringify(selection)],
    );
    if (created.rows.length === 0) {
      const { rows } = await tx.query<{ matched: number }>('SELECT matched FROM replay_jobs WHERE job = $1', [
        job,
      ]);
      return rows[0].matched;
    }
    const params: unknown[] = [job];
    const where = filterWhere(selectionFilter(selection), params);
    params.push(max);
    const { rows } = await tx.query<{ n: string }>(
      `WITH picked AS (
         INSERT INTO replay_job_items (job, position, delivery_key)
         SELECT $1, row_number() OVER (${REPLAY_ORDER}), delivery_key FROM deliveries ${where}
         ${REPLAY_ORDER} LIMIT $${params.length}
         RETURNING 1)
       SELECT count(*) AS n FROM picked`,
      params,
    );
    const matched = Number(rows[0].n);
    await tx.query('UPDATE replay_jobs SET matched = $2 WHERE job = $1', [job, matched]);
    return matched;
  });
}

export interface ReplayJobItem {
  deliveryKey: string;
  /** `starting`: an attempt was about to start its run (it may have, before it was lost). */
  state: 'pending' | 'starting' | 'replayed' | 'refused';
  runId: string | null;
  reason: string | null;
}

export async function getItem(
  q: Queryable,
  job: string,
  position: number,
): Promise<ReplayJobItem | undefined> {
  const { rows } = await q.query<{
    delivery_key: string;
    state: ReplayJobItem['state'];
    run_id: string | null;
    reason: string | null;
  }>('SELECT delivery_key, state, run_id, reason FROM replay_job_items WHERE job = $1 AND position = $2', [
    job,
    position,
  ]);
  const r = rows[0];
  return r && { deliveryKey: r.delivery_key, state: r.state, runId: r.run_id, reason: r.reason };
}

export async function recordItem(
  q: Queryable,
  job: string,
  position: number,
  outcome:
    { state: 'starting' } | { state: 'replayed'; runId: string } | { state: 'refused'; reason: string },
): Promise<void> {
  // What became of a delivery is written once: a late attempt does not overwrite it.
  await q.query(
    `UPDATE replay_job_items SET state = $3, run_id = $4, reason = $5
     WHERE job = $1 AND position = $2 AND state IN ('pending', 'starting')`,
    [
      job,
      position,
      outcome.state,
      outcome.state === 'replayed' ? outcome.runId : null,
      outcome.state === 'refused' ? outcome.reason : null,
    ],
  );
}

export type ReplayJobCounts = Pick<
  ReplayJobProgress,
  'processed' | 'replayed' | 'refused' | 'succeeded' | 'failed' | 'running' | 'refusals'
>;

/**
 * The job's counts from its rows: what it reached, replayed and refused, and how the deliveries it
 * replayed stand now by their ledger outcome; the first refusals with their reasons.
 */
export async function jobCounts(q: Queryable, job: string, maxRefusals: number): Promise<ReplayJobCounts> {
  const { rows } = await q.query<Record<Exclude<keyof ReplayJobCounts, 'refusals'>, string>>(
    `SELECT count(*) FILTER (WHERE i.state IN ('replayed', 'refused')) AS processed,
            count(*) FILTER (WHERE i.state = 'replayed') AS replayed,
            count(*) FILTER (WHERE i.state = 'refused') AS refused,
            count(*) FILTER (WHERE i.state = 'replayed' AND d.outcome = 'completed') AS succeeded,
            count(*) FILTER (WHERE i.state = 'replayed' AND d.outcome IN ('failed', 'dead')) AS failed,
            count(*) FILTER (WHERE i.state = 'replayed' AND d.outcome NOT IN ('completed', 'failed', 'dead')) AS running
     FROM replay_job_items i LEFT JOIN deliveries d ON d.delivery_key = i.delivery_key
     WHERE i.job = $1`,
    [job],
  );
  const refusals = await q.query<{ delivery_id: string | null; delivery_key: string; reason: string | null }>(
    `SELECT d.delivery_id, i.delivery_key, i.reason
     FROM replay_job_items i LEFT JOIN deliveries d ON d.delivery_key = i.delivery_key
     WHERE i.job = $1 AND i.state = 'refused' ORDER BY i.position LIMIT $2`,
    [job, maxRefusals],
  );
  const r = rows[0];
  return {
    processed: Number(r.processed),
    replayed: Number(r.replayed),
    refused: Number(r.refused),
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    running: Number(r.running),
    refusals: refusals.rows.map((x) => ({
      deliveryId: x.delivery_id ?? x.delivery_key,
      reason: x.reason ?? '',
    })),
  };
}
