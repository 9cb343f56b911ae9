// The synced repository data (J2): upserts that never let an older copy overwrite a newer one, so a
// backfill page and a webhook may arrive in any order; and the list of repositories hookflow syncs.
import type { Queryable } from './db';

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

export async function upsertIssues(
  q: Queryable,
  provider: string,
  repository: string,
  rows: IssueRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO repo_issues (provider, repository, number, id, url, title, state, author, labels, comments,
       created_at, updated_at, closed_at)
     SELECT $1, $2, r.number, r.id, r.url, r.title, r.state, r.author,
       ARRAY(SELECT jsonb_array_elements_text(r.labels)), r.comments, r.created_at, r.updated_at, r.closed_at
     FROM jsonb_to_recordset($3::jsonb) AS r(number int, id bigint, url text, title text, state text, author text,
       labels jsonb, comments int, created_at timestamptz, updated_at timestamptz, closed_at timestamptz)
     ON CONFLICT (provider, repository, number) DO UPDATE SET id = excluded.id, url = excluded.url,
       title = excluded.title, state = excluded.state, author = excluded.author, labels = excluded.labels,
       comments = excluded.comments, created_at = excluded.created_at, updated_at = excluded.updated_at,
       closed_at = excluded.closed_at
     WHERE excluded.updated_at >= repo_issues.updated_at`,
    [
      provider,
      repository,
      JSON.stringify(
        rows.map((r) => ({
          number: r.number,
          id: r.id,
          url: r.url,
          title: r.title,
          state: r.state,
          author: r.author,
          labels: r.labels,
          comments: r.comments,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
          closed_at: r.closedAt,
        })),
      ),
    ],
  );
}

export async function upsertPulls(
  q: Queryable,
  provider: string,
  repository: string,
  rows: PullRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO repo_pull_requests (provider, repository, number, id, title, state, author, draft, head_ref,
       base_ref, merged_at, created_at, updated_at, closed_at)
     SELECT $1, $2, r.number, r.id, r.title, r.state, r.author, r.draft, r.head_ref, r.base_ref, r.merged_at,
       r.created_at, r.updated_at, r.closed_at
     FROM jsonb_to_recordset($3::jsonb) AS r(number int, id bigint, title text, state text, author text,
       draft boolean, head_ref text, base_ref text, merged_at timestamptz, created_at timestamptz,
       updated_at timestamptz, closed_at timestamptz)
     ON CONFLICT (provider, repository, number) DO UPDATE SET id = excluded.id, title = excluded.title,
       state = excluded.state, author = excluded.author, draft = excluded.draft, head_ref = excluded.head_ref,
       base_ref = excluded.base_ref, merged_at = excluded.merged_at, created_at = excluded.created_at,
       updated_at = excluded.updated_at, closed_at = excluded.closed_at
     WHERE excluded.updated_at >= repo_pull_requests.updated_at`,
    [
      provider,
      repository,
      JSON.stringify(
        rows.map((r) => ({
          number: r.number,
          id: r.id,
          title: r.title,
          state: r.state,
          author: r.author,
          draft: r.draft,
          head_ref: r.headRef,
          base_ref: r.baseRef,
          merged_at: r.mergedAt,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
          closed_at: r.closedAt,
        })),
      ),
    ],
  );
}

export async function upsertComments(
  q: Queryable,
  provider: string,
  repository: string,
  rows: CommentRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO repo_issue_comments (provider, repository, id, issue_url, author, created_at, updated_at)
     SELECT $1, $2, r.id, r.issue_url, r.author, r.created_at, r.updated_at
     FROM jsonb_to_recordset($3::jsonb) AS r(id bigint, issue_url text, author text, created_at timestamptz,
       updated_at timestamptz)
     ON CONFLICT (provider, repository, id) DO UPDATE SET issue_url = excluded.issue_url, author = excluded.author,
       created_at = excluded.created_at, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= repo_issue_comments.updated_at`,
    [
      provider,
      repository,
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          issue_url: r.issueUrl,
          author: r.author,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })),
      ),
    ],
  );
}

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

/**
 * Where one listing activity stands: written in the same transaction as the page it follows, so a
 * retried activity (after a worker crash) resumes after the last stored page and re-fetches none.
 */
export interface Checkpoint<T> {
  next: string | null;
  totals: T;
}

export async function readCheckpoint<T>(q: Queryable, jobKey: string): Promise<Checkpoint<T> | undefined> {
  const { rows } = await q.query<{ next_url: string | null; totals: T }>(
    'SELECT next_url, totals FROM sync_checkpoints WHERE job_key = $1',
    [jobKey],
  );
  const r = rows[0];
  return r && { next: r.next_url, totals: r.totals };
}

export async function writeCheckpoint<T>(
  q: Queryable,
  jobKey: string,
  workflowId: string,
  c: Checkpoint<T>,
): Promise<void> {
  await q.query(
    `INSERT INTO sync_checkpoints (job_key, workflow_id, next_url, totals) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (job_key) DO UPDATE SET next_url = excluded.next_url, totals = excluded.totals, updated_at = now()`,
    [jobKey, workflowId, c.next, JSON.stringify(c.totals)],
  );
}

export async function deleteCheckpoints(q: Queryable, workflowId: string): Promise<void> {
  await q.query('DELETE FROM sync_checkpoints WHERE workflow_id = $1', [workflowId]);
}
