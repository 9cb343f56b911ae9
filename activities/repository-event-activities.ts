// Applying a repository's webhooks to the synced tables, so they stay current between syncs without
// polling. Each event is projected exactly as the backfill projects its listings
// (activities/sync/project.ts), and the upserts never let an older copy overwrite a newer one, so a
// late or repeated delivery is harmless.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { deleteRow, upsertComments, upsertIssues, upsertPulls } from '../lib/storage/repo-data';
import type { ActivityDeps } from './activity-deps';
import { loadPayload, payloadObject } from './payload';
import { commentRow, issueRow, pullRow } from './sync/project';

const PROVIDER = 'github';

/** The tables key repositories by their lower-cased `owner/repo`, as the sync stores them. */
const repoKey = (ref: DeliveryRef) => (ref.repository ?? '').toLowerCase();

/** The events the tables follow, by the payload field they carry. */
export type TableEvent = 'issue' | 'comment' | 'pullRequest';

type Payload = Record<string, unknown>;

/** Each table event's change to the tables, from the delivery's payload. */
export function tableUpdates(
  store: ActivityDeps['store'],
): Record<TableEvent, (ref: DeliveryRef, payload: Payload) => Promise<string>> {
  return {
    async issue(ref: DeliveryRef, payload: Payload): Promise<string> {
      const issue = payloadObject(payload, 'issue');
      if (!ref.repository || !issue) return 'no issue to store';
      if (ref.action === 'deleted' && typeof issue.number === 'number') {
        await deleteRow(store.db, 'repo_issues', PROVIDER, repoKey(ref), issue.number);
        return `issue #${issue.number} deleted`;
      }
      const row = issueRow(issue);
      if (!row) return 'issue not stored: the payload lacks its fields';
      await upsertIssues(store.db, PROVIDER, repoKey(ref), [row]);
      return `issue #${row.number} stored`;
    },

    async comment(ref: DeliveryRef, payload: Payload): Promise<string> {
      const comment = payloadObject(payload, 'comment');
      if (!ref.repository || !comment) return 'no comment to store';
      if (ref.action === 'deleted' && typeof comment.id === 'number') {
        await deleteRow(store.db, 'repo_issue_comments', PROVIDER, repoKey(ref), comment.id);
        return `comment ${comment.id} deleted`;
      }
      const row = commentRow(comment);
      if (!row) return 'comment not stored: the payload lacks its fields';
      await upsertComments(store.db, PROVIDER, repoKey(ref), [row]);
      return `comment ${row.id} stored`;
    },

    async pullRequest(ref: DeliveryRef, payload: Payload): Promise<string> {
      const row = pullRow(payloadObject(payload, 'pull_request'));
      if (!ref.repository || !row) return 'pull request not stored: the payload lacks its fields';
      await upsertPulls(store.db, PROVIDER, repoKey(ref), [row]);
      return `pull request #${row.number} stored`;
    },
  };
}

export function createRepositoryEventActivities(deps: Pick<ActivityDeps, 'store'>) {
  const { store } = deps;
  const apply = tableUpdates(store);
  return {
    /** `issues` webhooks keep the issues table current between syncs. */
    applyIssueEvent: async (ref: DeliveryRef) => apply.issue(ref, await loadPayload(store, ref.key)),
    applyCommentEvent: async (ref: DeliveryRef) => apply.comment(ref, await loadPayload(store, ref.key)),
    applyPullRequestEvent: async (ref: DeliveryRef) =>
      apply.pullRequest(ref, await loadPayload(store, ref.key)),
  };
}
