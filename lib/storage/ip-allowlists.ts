// The source-address allow-lists the front door checks, as last fetched (server/ip-allowlist.ts):
// kept in storage so every server replica checks the same list and a restart during an outage of
// the list's source still has one.
import type { Queryable } from './db';

export interface StoredAllowList {
  /** CIDR ranges (`192.30.252.0/22`, `2a0a:a440::/29`). */
  ranges: string[];
  fetchedAt: Date;
}

export async function getAllowList(q: Queryable, name: string): Promise<StoredAllowList | undefined> {
  const { rows } = await q.query<{ ranges: string[] | string; fetched_at: Date | string }>(
    'SELECT ranges, fetched_at FROM ip_allowlists WHERE name = $1',
    [name],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    ranges: typeof row.ranges === 'string' ? (JSON.parse(row.ranges) as string[]) : row.ranges,
    fetchedAt: new Date(row.fetched_at),
  };
}

export async function putAllowList(q: Queryable, name: string, list: StoredAllowList): Promise<void> {
  await q.query(
    `INSERT INTO ip_allowlists (name, ranges, fetched_at) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET ranges = excluded.ranges, fetched_at = excluded.fetched_at`,
    [name, JSON.stringify(list.ranges), list.fetchedAt.toISOString()],
  );
}
