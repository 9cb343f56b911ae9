// The journal of the mutating requests a user's handler completed (migration 8). A handler retried
// after a transient failure or a lost worker asks again for what it already did; the journal answers
// those requests as GitHub answered them the first time, so a comment is posted once. A request being
// sent is claimed by its attempt (migration 15): a retry that starts while the attempt Temporal gave
// up on is still alive waits for that attempt's answer instead of sending the request again.
import { createHash } from 'node:crypto';
import type { Queryable } from './db';

/** Which handler run a request belongs to. */
export interface JournalScope {
  deliveryKey: string;
  /** The workflow run: a replay is a new run and sends its requests anew. */
  runId: string;
  handler: string;
}

/** A request, as the journal tells identical ones apart. */
export interface JournalRequest {
  method: string;
  url: string;
  /** The body as sent (JSON text), or undefined. */
  body: string | undefined;
  /** The media type asked for, when not GitHub's JSON: the same URL answers differently. */
  accept: string | undefined;
  /** 0 for the first of identical requests in one attempt, 1 for the second… */
  occurrence: number;
}

/** What GitHub answered, as the handler's Octokit needs it again. */
export interface JournalAnswer {
  status: number;
  data: unknown;
  link: string | undefined;
  contentType: string | undefined;
}

/** The request's identity: a digest of its method, URL and body (the body may be large). */
export function requestDigest(r: Pick<JournalRequest, 'method' | 'url' | 'body' | 'accept'>): string {
  return createHash('sha256')
    .update(`${r.method.toUpperCase()} ${r.url}\n${r.accept ?? ''}\n${r.body ?? ''}`)
    .digest('hex');
}

export async function lookUp(
  q: Queryable,
  s: JournalScope,
  r: JournalRequest,
): Promise<JournalAnswer | undefined> {
  const { rows } = await q.query<{ status: number; response: Omit<JournalAnswer, 'status'> }>(
    `SELECT status, response FROM handler_requests
     WHERE delivery_key = $1 AND run_id = $2 AND handler = $3 AND request = $4 AND occurrence = $5`,
    [s.deliveryKey, s.runId, s.handler, requestDigest(r), r.occurrence],
  );
  const row = rows[0];
  if (!row) return undefined;
  const response = (typeof row.response === 'string' ? JSON.parse(row.response) : row.response) as Omit<
    JournalAnswer,
    'status'
  >;
  return { status: row.status, ...response };
}

/** Records a completed request; the first record of a request stands. */
export async function record(
  q: Queryable,
  s: JournalScope,
  r: JournalRequest,
  a: JournalAnswer,
): Promise<void> {
  const response = { data: a.data, link: a.link, contentType: a.contentType };
  await q.query(
    `INSERT INTO handler_requests (delivery_key, run_id, handler, request, occurrence, method, url, status, response)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT DO NOTHING`,
    [
      s.deliveryKey,
      s.runId,
      s.handler,
      requestDigest(r),
      r.occurrence,
      r.method.toUpperCase(),
      r.url,
      a.status,
      JSON.stringify(response),
    ],
  );
  // Recorded: whoever waits for it now reads the answer, and the claim has done its work.
  await q.query(
    `DELETE FROM handler_request_claims
     WHERE delivery_key = $1 AND run_id = $2 AND handler = $3 AND request = $4 AND occurrence = $5`,
    [s.deliveryKey, s.runId, s.handler, requestDigest(r), r.occurrence],
  );
}

/** Whether this attempt may send the request, or which attempt is sending it. */
export type ClaimResult =
  | {
      taken: true;
      /** The attempt whose claim this one took over, as it was never answered in time. */
      tookOverFrom?: string;
    }
  | { taken: false; claimer: string; ageMs: number };

/**
 * Claims a request for `claimer` (one activity attempt: its activity ID and attempt number, unique
 * within the workflow run) to send. Another claimer's claim stands until it is older than
 * `staleAfterMs` (no request takes that long: its sender is gone), after which this one takes it over.
 */
export async function claim(
  q: Queryable,
  s: JournalScope,
  r: JournalRequest,
  claimer: string,
  staleAfterMs: number,
): Promise<ClaimResult> {
  const key = [s.deliveryKey, s.runId, s.handler, requestDigest(r), r.occurrence];
  for (;;) {
    const { rows: held } = await q.query<{ claimer: string; age_ms: number }>(
      `SELECT claimer, (extract(epoch FROM now() - claimed_at) * 1000)::float8 AS age_ms
       FROM handler_request_claims
       WHERE delivery_key = $1 AND run_id = $2 AND handler = $3 AND request = $4 AND occurrence = $5`,
      key,
    );
    const other = held[0];
    if (!other) {
      const { rows } = await q.query(
        `INSERT INTO handler_request_claims (delivery_key, run_id, handler, request, occurrence, claimer)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING claimer`,
        [...key, claimer],
      );
      if (rows.length === 1) return { taken: true };
      continue; // another attempt claimed it in between
    }
    if (other.claimer === claimer) return { taken: true };
    if (Number(other.age_ms) < staleAfterMs) {
      return { taken: false, claimer: other.claimer, ageMs: Number(other.age_ms) };
    }
    // Taken over only while still stale: a claim released and taken afresh in between stands.
    const { rows } = await q.query(
      `UPDATE handler_request_claims SET claimer = $6, claimed_at = now()
       WHERE delivery_key = $1 AND run_id = $2 AND handler = $3 AND request = $4 AND occurrence = $5
         AND claimer = $7 AND claimed_at <= now() - $8 * interval '1 millisecond'
       RETURNING claimer`,
      [...key, claimer, other.claimer, staleAfterMs],
    );
    if (rows.length === 1) return { taken: true, tookOverFrom: other.claimer };
  }
}

/**
 * Gives up this attempt's claim: its request was not sent, or failed (an error answer, or no answer
 * at all: then whether it landed is unknown, and the next attempt sends it again).
 */
export async function release(
  q: Queryable,
  s: JournalScope,
  r: JournalRequest,
  claimer: string,
): Promise<void> {
  await q.query(
    `DELETE FROM handler_request_claims
     WHERE delivery_key = $1 AND run_id = $2 AND handler = $3 AND request = $4 AND occurrence = $5 AND claimer = $6`,
    [s.deliveryKey, s.runId, s.handler, requestDigest(r), r.occurrence, claimer],
  );
}
