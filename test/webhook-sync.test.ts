// Webhooks keep the synced tables current between syncs, and the example write-back (label and
// welcome a new issue) is idempotent under redelivery and keeps GitHub's mutation rules.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../lib/logger';
import type { SyncProgress } from '../lib/contracts/sync-progress';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';

const REPO = { id: 90, full_name: 'octo/hooks', name: 'hooks', owner: { login: 'octo' } };
const INSTALLATION = { id: 900 };

describe('webhooks and write-back', () => {
  let fake: FakeGitHub;
  let h: Harness;
  /** The worker's warnings and errors, as JSON lines. */
  const logLines: string[] = [];
  before(async () => {
    fake = await startFake();
    h = await startHookflow({
      logger: createLogger('warn', 'test', { write: (line: string) => void logLines.push(line) }),
      env: apiEnv(fake, {
        HOOKFLOW_WELCOME_LABEL: 'triage',
        HOOKFLOW_WELCOME_COMMENT: 'Thanks for the report!',
      }),
    });
    await installRepo(h, fake, 'octo/hooks', { id: 90, installation: '900', issues: 4 });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  async function deliver(
    event: string,
    payload: Record<string, unknown>,
    id = randomUUID(),
  ): Promise<string> {
    const answer = await h.post(
      githubDelivery({ event, id, payload: { repository: REPO, installation: INSTALLATION, ...payload } }),
    );
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const key = String(answer.body.workflowId);
    await h.waitForOutcome(key, 'completed', 60_000);
    return key;
  }
  const issueRow = async (n: number) =>
    (
      await h.store.db.query<{ title: string; labels: string[] }>(
        `SELECT title, labels FROM repo_issues WHERE repository = 'octo/hooks' AND number = $1`,
        [n],
      )
    ).rows[0];

  test('issue, comment and pull request events update the tables; an older copy never overwrites a newer one', async () => {
    const issue = fake.issueJson('octo/hooks', 3);
    await deliver('issues', {
      action: 'edited',
      issue: { ...issue, title: 'newer', updated_at: '2030-01-01T00:00:00Z' },
    });
    assert.equal((await issueRow(3))?.title, 'newer');
    await deliver('issues', {
      action: 'edited',
      issue: { ...issue, title: 'older', updated_at: '2029-01-01T00:00:00Z' },
    });
    assert.equal((await issueRow(3))?.title, 'newer');

    const comment = {
      id: 77,
      issue_url: issue.url,
      user: { login: 'x' },
      created_at: '2030-01-01T00:00:00Z',
      updated_at: '2030-01-01T00:00:00Z',
      body: 'hi',
    };
    await deliver('issue_comment', { action: 'created', issue, comment });
    const pr = {
      id: 5,
      number: 40,
      title: 'PR',
      state: 'open',
      user: { login: 'y' },
      draft: false,
      head: { ref: 'f' },
      base: { ref: 'main' },
      created_at: '2030-01-01T00:00:00Z',
      updated_at: '2030-01-01T00:00:00Z',
    };
    await deliver('pull_request', { action: 'opened', number: 40, pull_request: pr });
    const counts = await h.store.db.query<{ c: string; p: string }>(
      `SELECT (SELECT count(*) FROM repo_issue_comments WHERE id = 77) AS c, (SELECT count(*) FROM repo_pull_requests WHERE number = 40) AS p`,
    );
    assert.deepEqual(counts.rows[0], { c: '1', p: '1' });
    await deliver('issue_comment', { action: 'deleted', issue, comment });
    await deliver('issues', { action: 'deleted', issue });
    assert.equal(await issueRow(3), undefined);
    assert.equal((await h.store.db.query(`SELECT 1 FROM repo_issue_comments WHERE id = 77`)).rows.length, 0);
  });

  test('a new issue is labelled and welcomed once, even when delivered again; mutations are spaced', async () => {
    const one = fake.issueJson('octo/hooks', 1);
    const two = fake.issueJson('octo/hooks', 2);
    const id = randomUUID();
    await deliver('issues', { action: 'opened', issue: one }, id);
    await deliver('issues', { action: 'opened', issue: two });
    // A redelivery of the same event (GitHub's redeliver gives it a new delivery ID).
    await deliver('issues', { action: 'opened', issue: one });

    const welcomes = (n: number) =>
      fake.requests.filter(
        (r) => r.method === 'POST' && r.path === `/repos/octo/hooks/issues/${n}/comments` && r.status === 201,
      );
    assert.equal(welcomes(1).length, 1);
    assert.equal(welcomes(2).length, 1);
    const labelled = fake.issueJson('octo/hooks', 1).labels as { name: string }[];
    assert.ok(labelled.some((l) => l.name === 'triage'));
    const comments = fake.requests.filter(
      (r) => r.method === 'GET' && r.path === '/repos/octo/hooks/issues/1/comments',
    );
    assert.equal(comments.length, 2, 'the redelivery looked for the marker first');
    assert.ok(fake.requests.every((r) => r.method !== 'POST' || r.requestId !== undefined));

    const mutations = fake.requests
      .filter((r) => r.method === 'POST' && r.credential === 'installation:900')
      .map((r) => r.start);
    for (let i = 1; i < mutations.length; i++)
      assert.ok(mutations[i] - mutations[i - 1] >= 1_000, 'mutations 1 s apart');
    assert.deepEqual(fake.violations, []);
  });

  test("URLs a payload names on another origin than the configured API's are not followed: the write-back and the sync stay on the API", async () => {
    // What GitHub.com sends while GITHUB_API_URL points elsewhere (a GitHub Enterprise Server, a
    // proxy, this fake): every URL in the payload names https://api.github.com.
    const GITHUB_COM = 'https://api.github.com';
    const elsewhere = (o: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v.replace(fake.url, GITHUB_COM) : v]),
      );
    const issue = elsewhere(fake.issueJson('octo/hooks', 4));
    assert.match(String(issue.comments_url), /^https:\/\/api\.github\.com\//);
    await deliver('issues', {
      action: 'opened',
      issue,
      repository: {
        ...REPO,
        url: `${GITHUB_COM}/repos/octo/hooks`,
        issues_url: `${GITHUB_COM}/repos/octo/hooks/issues{/number}`,
      },
    });
    assert.equal(
      fake.requests.filter(
        (r) => r.method === 'POST' && r.path === '/repos/octo/hooks/issues/4/comments' && r.status === 201,
      ).length,
      1,
      'the welcome went to the configured API',
    );
    assert.ok(
      (fake.issueJson('octo/hooks', 4).labels as { name: string }[]).some((l) => l.name === 'triage'),
    );

    const handle = await startSyncJob(h.client, h.taskQueue, syncArgs(h.config, 'octo/hooks'));
    const done = (await handle.result()) as SyncProgress;
    assert.equal(done.phase, 'done');
    assert.equal(done.issues, 4);

    const warned = logLines
      .map((l) => JSON.parse(l) as { level: number; origin?: string; apiOrigin?: string })
      .filter((l) => l.level === 40 && l.origin === GITHUB_COM);
    assert.ok(warned.length > 0, 'a warning names the refused origin');
    assert.ok(
      warned.every((l) => l.apiOrigin === new URL(fake.url).origin),
      'and the API origin',
    );
  });
  test('an off-origin URL with no issue number to build the route from is not followed at all', async () => {
    const offOrigin = Object.fromEntries(
      Object.entries(fake.issueJson('octo/hooks', 3))
        .filter(([k]) => k !== 'number')
        .map(([k, v]) => [k, typeof v === 'string' ? v.replace(fake.url, 'https://api.github.com') : v]),
    );
    const postsBefore = fake.requests.filter((r) => r.method === 'POST').length;
    await deliver('issues', { action: 'opened', issue: offOrigin });
    assert.equal(fake.requests.filter((r) => r.method === 'POST').length, postsBefore, 'nothing was posted');
    const notFollowed = logLines
      .map((l) => JSON.parse(l) as { msg: string; url?: string })
      .filter((l) => /not followed/.test(l.msg));
    assert.ok(
      notFollowed.some((l) => l.url?.startsWith('https://api.github.com/')),
      'a warning names the URL that was not followed',
    );
  });
});
