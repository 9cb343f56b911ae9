// The synced repository data: upserts that never let an older copy overwrite a newer one, so a
// backfill page and a webhook may arrive in any order; and the list of repositories hookflow syncs.
import type { Queryable } from './db';
import { storableText } from './storable-text';

/** What hookflow keeps of an issue, a pull request, a comment (activities/sync/project.ts fills them). */
export interface IssueRow {
  number: number;
  id: number;
  url: string;
  title: string;
  state: string;
  author: string | null;
  labels: string[];
  comments: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface PullRow {
  number: number;
  id: number;
  title: string;
  state: string;
  author: string | null;
  draft: boolean;
  headRef: string | null;
  baseRef: string | null;
  mergedAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface CommentRow {
  id: number;
  issueUrl: string;
  author: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * One table's upsert: the rows go as one JSON array, spread by jsonb_to_recordset. `columns` are the
 * rows' camelCase fields in order, with their SQL types; a select expression where the JSON needs one.
 */
interface UpsertSpec {
  table: RepoTable;
  key: string;
  columns: [field: string, type: string, select?: string][];
}

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

async function upsert(q: Queryable, provider: string, repository: string, spec: UpsertSpec, rows: object[]) {
  if (rows.length === 0) return;
  const names = spec.columns.map(([field]) => snake(field));
  const updates = names.filter((n) => n !== spec.key).map((n) => `${n} = excluded.${n}`);
  await q.query(
    `INSERT INTO ${spec.table} (provider, repository, ${names.join(', ')})
     SELECT $1, $2, ${spec.columns.map(([field, , select]) => select ?? `r.${snake(field)}`).join(', ')}
     FROM jsonb_to_recordset($3::jsonb) AS r(${spec.columns.map(([field, type]) => `${snake(field)} ${type}`).join(', ')})
     ON CONFLICT (provider, repository, ${spec.key}) DO UPDATE SET ${updates.join(', ')}
     WHERE excluded.updated_at >= ${spec.table}.updated_at`,
    [
      provider,
      repository,
      JSON.stringify(
        rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [snake(k), v]))),
        // jsonb refuses an escaped U+0000 (SQLSTATE 22P05) just as text refuses the character.
        (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value),
      ),
    ],
  );
}

const TIMES: UpsertSpec['columns'] = [
  ['createdAt', 'timestamptz'],
  ['updatedAt', 'timestamptz'],
];

const ISSUES: UpsertSpec = {
  table: 'repo_issues',
  key: 'number',
  columns: [
    ['number', 'int'],
    ['id', 'bigint'],
    ['url', 'text'],
    ['title', 'text'],
    ['state', 'text'],
    ['author', 'text'],
    ['labels', 'jsonb', 'ARRAY(SELECT jsonb_array_elements_text(r.labels))'],
    ['comments', 'int'],
    ...TIMES,
    ['closedAt', 'timestamptz'],
  ],
};

const PULLS: UpsertSpec = {
  table: 'repo_pull_requests',
  key: 'number',
  columns: [
    ['number', 'int'],
    ['id', 'bigint'],
    ['title', 'text'],
    ['state', 'text'],
    ['author', 'text'],
    ['draft', 'boolean'],
    ['headRef', 'text'],
    ['baseRef', 'text'],
    ['mergedAt', 'timestamptz'],
    ...TIMES,
    ['closedAt', 'timestamptz'],
  ],
};

const COMMENTS: UpsertSpec = {
  table: 'repo_issue_comments',
  key: 'id',
  columns: [['id', 'bigint'], ['issueUrl', 'text'], ['author', 'text'], ...TIMES],
};

export const upsertIssues = (q: Queryable, provider: string, repository: string, rows: IssueRow[]) =>
  upsert(q, provider, repository, ISSUES, rows);
export const upsertPulls = (q: Queryable, provider: string, repository: string, rows: PullRow[]) =>
  upsert(q, provider, repository, PULLS, rows);
export const upsertComments = (q: Queryable, provider: string, repository: string, rows: CommentRow[]) =>
  upsert(q, provider, repository, COMMENTS, rows);

export type RepoTable = 'repo_issues' | 'repo_pull_requests' | 'repo_issue_comments';

export async function deleteRow(
  q: Queryable,
  table: RepoTable,
  provider: string,
  repository: string,
  key: number,
): Promise<void> {
  const column = table === 'repo_issue_comments' ? 'id' : 'number';
  await q.query(`DELETE FROM ${table} WHERE provider = $1 AND repository = $2 AND ${column} = $3`, [
    provider,
    repository,
    key,
  ]);
}

export async function countRows(
  q: Queryable,
  provider: string,
  repository: string,
): Promise<Record<RepoTable, number>> {
  const { rows } = await q.query<{ t: RepoTable; n: string }>(
    `SELECT 'repo_issues' AS t, count(*) AS n FROM repo_issues WHERE provider = $1 AND repository = $2
     UNION ALL SELECT 'repo_pull_requests', count(*) FROM repo_pull_requests WHERE provider = $1 AND repository = $2
     UNION ALL SELECT 'repo_issue_comments', count(*) FROM repo_issue_comments WHERE provider = $1 AND repository = $2`,
    [provider, repository],
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)])) as Record<RepoTable, number>;
}

export interface SyncTarget {
  fullName: string;
  installation: string;
  apiUrl: string;
}

export async function getSyncTarget(
  q: Queryable,
  provider: string,
  fullName: string,
): Promise<SyncTarget | undefined> {
  const { rows } = await q.query<{ full_name: string; installation_id: string; api_url: string }>(
    'SELECT full_name, installation_id, api_url FROM sync_repositories WHERE provider = $1 AND full_name = $2',
    [provider, fullName.toLowerCase()],
  );
  const r = rows[0];
  return r && { fullName: r.full_name, installation: r.installation_id, apiUrl: r.api_url };
}

export async function saveSyncTarget(q: Queryable, provider: string, t: SyncTarget): Promise<void> {
  await q.query(
    `INSERT INTO sync_repositories (provider, full_name, installation_id, api_url) VALUES ($1, $2, $3, $4)
     ON CONFLICT (provider, full_name) DO UPDATE SET installation_id = excluded.installation_id, api_url = excluded.api_url`,
    [provider, t.fullName.toLowerCase(), t.installation, t.apiUrl],
  );
}

export async function markSynced(
  q: Queryable,
  provider: string,
  fullName: string,
  summary: unknown,
): Promise<void> {
  await q.query(
    `UPDATE sync_repositories SET last_synced_at = now(), last_summary = $3::jsonb WHERE provider = $1 AND full_name = $2`,
    [provider, fullName.toLowerCase(), JSON.stringify(summary)],
  );
}

/** The installation that holds a repository, from what its `installation` webhooks registered. */
export async function installationOf(
  q: Queryable,
  provider: string,
  fullName: string,
): Promise<string | undefined> {
  const { rows } = await q.query<{ installation_id: string }>(
    `SELECT r.installation_id FROM installation_repositories r JOIN installations i USING (provider, installation_id)
     WHERE r.provider = $1 AND lower(r.full_name) = lower($2) AND i.status = 'active' LIMIT 1`,
    [provider, fullName],
  );
  return rows[0]?.installation_id;
}
