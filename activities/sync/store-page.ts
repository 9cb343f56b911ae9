// One page of a listing into its table, projected to the fields hookflow keeps.
import type { Queryable } from '../../lib/storage/db';
import { upsertComments, upsertIssues, upsertPulls } from '../../lib/storage/repo-data';
import type { SyncKind } from '../../lib/contracts/sync-progress';
import { commentRow, issueRow, pullRow } from './project';

const PROVIDER = 'github';

/**
 * Stores one page's items; returns how many the page holds. A 304 page is stored again from the
 * cache: its rows may have been lost after the cache entry was written (a crash in between), and
 * the upserts never let an older copy overwrite a newer one.
 */
export async function storePage(
  q: Queryable,
  repository: string,
  kind: SyncKind,
  items: unknown[],
): Promise<number> {
  switch (kind) {
    case 'issues': {
      const rows = items.map(issueRow).filter((r) => r !== undefined);
      await upsertIssues(q, PROVIDER, repository, rows);
      return rows.length;
    }
    case 'pulls': {
      const rows = items.map(pullRow).filter((r) => r !== undefined);
      await upsertPulls(q, PROVIDER, repository, rows);
      return rows.length;
    }
    case 'comments': {
      const rows = items.map(commentRow).filter((r) => r !== undefined);
      await upsertComments(q, PROVIDER, repository, rows);
      return rows.length;
    }
  }
}
