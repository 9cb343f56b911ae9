// Token mode (GITHUB_TOKEN, for repository hooks): a sync and the write-back run without any App
// installation, with the token sent as given and nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import type { SyncProgress } from '../lib/contracts/sync-progress';
import type { FakeGitHub } from './fake-github/server';
import { issueOpened, startFake } from './helpers/api';
import { startHookflow, type Harness } from './helpers/harness';

describe('token mode', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake({ staticTokens: { ghp_repo_token_for_tests: 'pat:repo' } });
    fake.addRepo('octo/tok', { id: 401, installation: '1', issues: 130, commentsPerIssue: 1 });
    h = await startHookflow({
      env: {
        GITHUB_TOKEN: 'ghp_repo_token_for_tests',
        GITHUB_API_URL: fake.url,
        HOOKFLOW_API_BACKOFF_MS: '20',
        HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
        HOOKFLOW_WELCOME_LABEL: 'triage',
        HOOKFLOW_WELCOME_COMMENT: 'Thanks!',
      },
    });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  test('a repository syncs with the token alone', async () => {
    const handle = await startSyncJob(h.client, h.taskQueue, syncArgs(h.config, 'octo/tok'));
    const done = (await handle.result()) as SyncProgress;
    assert.deepEqual([done.issues, done.comments], [130, 130]);
    const calls = fake.requests.filter((r) => r.path.startsWith('/repos/octo/tok'));
    assert.ok(calls.length > 0 && calls.every((r) => r.credential === 'pat:repo'));
    assert.equal(fake.tokensIssued.size, 0, 'no installation token was asked for');
  });

  test('a repository hook delivery (no installation) gets the write-back', async () => {
    const answer = await h.post(issueOpened(fake, 'octo/tok', 5));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    await h.waitForOutcome(String(answer.body.workflowId), 'completed');
    const posts = fake.requests.filter(
      (r) => r.method === 'POST' && r.path.startsWith('/repos/octo/tok/issues/5/'),
    );
    assert.deepEqual(
      posts.map((r) => [r.path, r.status, r.credential]),
      [
        ['/repos/octo/tok/issues/5/labels', 200, 'pat:repo'],
        ['/repos/octo/tok/issues/5/comments', 201, 'pat:repo'],
      ],
    );
  });
});
