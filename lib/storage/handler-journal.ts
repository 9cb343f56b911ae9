// The journal of the mutating requests a user's handler completed (migration 8). A handler retried
// after a transient failure or a lost worker asks again for what it already did; the journal answers
// those requests as GitHub answered them the first time, so a comment is posted once.
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
}
