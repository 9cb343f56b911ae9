// What hookflow keeps of GitHub's issues, pull requests and comments: only the fields the
// integration needs, so it holds as little of its users' data as it can. The same projection serves
// the backfill's listings and the webhooks' payloads. URLs are kept as GitHub gives them, never
// rebuilt (GitHub's REST best practices:
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
import type { CommentRow, IssueRow, PullRow } from '../../lib/storage/repo-data';

export type { CommentRow, IssueRow, PullRow };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const login = (v: unknown) => str(obj(v)?.login) ?? null;
const ref = (v: unknown) => str(obj(v)?.ref) ?? null;

/** Undefined when the object is not an issue (or is a pull request, which the issues listing includes). */
export function issueRow(v: unknown): IssueRow | undefined {
  const o = obj(v);
  if (!o || o.pull_request !== undefined) return undefined;
  const [number, id, url, title, state, createdAt, updatedAt] = [
    int(o.number),
    int(o.id),
    str(o.url),
    str(o.title),
    str(o.state),
    str(o.created_at),
    str(o.updated_at),
  ];
  if (
    number === undefined ||
    id === undefined ||
    !url ||
    title === undefined ||
    !state ||
    !createdAt ||
    !updatedAt
  ) {
    return undefined;
  }
  const labels = Array.isArray(o.labels)
    ? o.labels.map((l) => str(obj(l)?.name) ?? str(l)).filter((l) => l !== undefined)
    : [];
  return {
    number,
    id,
    url,
    title,
    state,
    author: login(o.user),
    labels,
    comments: int(o.comments) ?? 0,
    createdAt,
    updatedAt,
    closedAt: str(o.closed_at) ?? null,
  };
}

export function pullRow(v: unknown): PullRow | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const [number, id, title, state, createdAt, updatedAt] = [
    int(o.number),
    int(o.id),
    str(o.title),
    str(o.state),
    str(o.created_at),
    str(o.updated_at),
  ];
  if (number === undefined || id === undefined || title === undefined || !state || !createdAt || !updatedAt)
    return undefined;
  return {
    number,
    id,
    title,
    state,
    author: login(o.user),
    draft: o.draft === true,
    headRef: ref(o.head),
    baseRef: ref(o.base),
    mergedAt: str(o.merged_at) ?? null,
    createdAt,
    updatedAt,
    closedAt: str(o.closed_at) ?? null,
  };
}

export function commentRow(v: unknown): CommentRow | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const [id, issueUrl, createdAt, updatedAt] = [
    int(o.id),
    str(o.issue_url),
    str(o.created_at),
    str(o.updated_at),
  ];
  if (id === undefined || !issueUrl || !createdAt || !updatedAt) return undefined;
  return { id, issueUrl, author: login(o.user), createdAt, updatedAt };
}
