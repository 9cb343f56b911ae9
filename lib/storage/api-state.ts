// The API client's state that every worker shares: installation tokens (sealed), rate-limit budgets,
// and the conditional-request cache. Each function takes the Queryable of the caller's lock, so a
// read-decide-write happens inside one installation's turn.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Queryable } from './db';

/** The shared state of one installation: every worker reads and writes it under the installation's turn. */
export interface Budget {
  limit: number | null;
  remaining: number | null;
  resetAt: number | null;
  resource: string | null;
  lastRequestAt: number | null;
  lastMutationAt: number | null;
  /** When content-creating requests were made, newest last, within the last hour. */
  contentCreated: number[];
  /** No request before this (a Retry-After or a secondary limit). */
  blockedUntil: number | null;
  secondaryStrikes: number;
}

export interface CachedResponse {
  etag: string | null;
  lastModified: string | null;
  link: string | null;
  body: string;
}

interface BudgetRow {
  rl_limit: number | null;
  rl_remaining: number | null;
  rl_reset_at: Date | null;
  rl_resource: string | null;
  last_request_at: Date | null;
  last_mutation_at: Date | null;
  content_created: Date[] | string | null;
  blocked_until: Date | null;
  secondary_strikes: number;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());
const ts = (n: number | null) => (n === null ? null : new Date(n).toISOString());

/** node-postgres parses timestamptz[]; PGlite returns it as array text: both become epoch ms here. */
function times(v: Date[] | string | null): number[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.map((d) => new Date(d).getTime());
  return v
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter((s) => s.length > 0)
    .map((s) => new Date(s.replace(/^"|"$/g, '')).getTime());
}

export const EMPTY_BUDGET: Budget = {
  limit: null,
  remaining: null,
  resetAt: null,
  resource: null,
  lastRequestAt: null,
  lastMutationAt: null,
  contentCreated: [],
  blockedUntil: null,
  secondaryStrikes: 0,
};

export async function readBudget(q: Queryable, provider: string, installation: string): Promise<Budget> {
  const { rows } = await q.query<BudgetRow>(
    'SELECT * FROM api_budgets WHERE provider = $1 AND installation_id = $2',
    [provider, installation],
  );
  const r = rows[0];
  if (!r) return { ...EMPTY_BUDGET };
  return {
    limit: r.rl_limit,
    remaining: r.rl_remaining,
    resetAt: ms(r.rl_reset_at),
    resource: r.rl_resource,
    lastRequestAt: ms(r.last_request_at),
    lastMutationAt: ms(r.last_mutation_at),
    contentCreated: times(r.content_created),
    blockedUntil: ms(r.blocked_until),
    secondaryStrikes: r.secondary_strikes,
  };
}

export async function writeBudget(
  q: Queryable,
  provider: string,
  installation: string,
  b: Budget,
): Promise<void> {
  await q.query(
    `INSERT INTO api_budgets (provider, installation_id, rl_limit, rl_remaining, rl_reset_at, rl_resource,
       last_request_at, last_mutation_at, content_created, blocked_until, secondary_strikes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz[], $10, $11)
     ON CONFLICT (provider, installation_id) DO UPDATE SET
       rl_limit = excluded.rl_limit, rl_remaining = excluded.rl_remaining, rl_reset_at = excluded.rl_reset_at,
       rl_resource = excluded.rl_resource, last_request_at = excluded.last_request_at,
       last_mutation_at = excluded.last_mutation_at, content_created = excluded.content_created,
       blocked_until = excluded.blocked_until, secondary_strikes = excluded.secondary_strikes`,
    [
      provider,
      installation,
      b.limit,
      b.remaining,
      ts(b.resetAt),
      b.resource,
      ts(b.lastRequestAt),
      ts(b.lastMutationAt),
      b.contentCreated.map((t) => new Date(t).toISOString()),
      ts(b.blockedUntil),
      b.secondaryStrikes,
    ],
  );
}

export async function readCache(
  q: Queryable,
  provider: string,
  installation: string,
  url: string,
): Promise<CachedResponse | undefined> {
  const { rows } = await q.query<{
    etag: string | null;
    last_modified: string | null;
    link: string | null;
    body: Uint8Array;
  }>(
    'SELECT etag, last_modified, link, body FROM api_cache WHERE provider = $1 AND installation_id = $2 AND url = $3',
    [provider, installation, url],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    etag: r.etag,
    lastModified: r.last_modified,
    link: r.link,
    body: gunzipSync(r.body).toString('utf8'),
  };
}

export async function writeCache(
  q: Queryable,
  provider: string,
  installation: string,
  url: string,
  c: CachedResponse,
): Promise<void> {
  await q.query(
    `INSERT INTO api_cache (provider, installation_id, url, etag, last_modified, link, body)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (provider, installation_id, url) DO UPDATE SET etag = excluded.etag,
       last_modified = excluded.last_modified, link = excluded.link, body = excluded.body, stored_at = now()`,
    [provider, installation, url, c.etag, c.lastModified, c.link, gzipSync(c.body)],
  );
}

export async function readToken(
  q: Queryable,
  provider: string,
  installation: string,
): Promise<{ sealed: string; expiresAt: number } | undefined> {
  const { rows } = await q.query<{ ciphertext: string; expires_at: Date | string }>(
    'SELECT ciphertext, expires_at FROM api_tokens WHERE provider = $1 AND installation_id = $2',
    [provider, installation],
  );
  const r = rows[0];
  return r ? { sealed: r.ciphertext, expiresAt: new Date(r.expires_at).getTime() } : undefined;
}

export async function writeToken(
  q: Queryable,
  provider: string,
  installation: string,
  sealed: string,
  expiresAt: number,
): Promise<void> {
  await q.query(
    `INSERT INTO api_tokens (provider, installation_id, ciphertext, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (provider, installation_id) DO UPDATE SET ciphertext = excluded.ciphertext,
       expires_at = excluded.expires_at, refreshed_at = now()`,
    [provider, installation, sealed, new Date(expiresAt).toISOString()],
  );
}
