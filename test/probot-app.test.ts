// A real Probot app, unmodified (test/fixtures/probot-apps/boring-cyborg: Apache Airflow's bot), run
// by hookflow against the fake GitHub: it reads its config from the repository, looks the author's
// history up and the pull request's files over pages, and makes exactly the mutations it is meant
// to, through hookflow's client, with nothing else changed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const APP = path.join(__dirname, 'fixtures', 'probot-apps', 'boring-cyborg');
const CONFIG_PATH = '.github/boring-cyborg.yml';
const WELCOME = 'Thanks for opening your first issue here!';
const CONFIG = `# Apache Airflow style: welcome newcomers, label pull requests by the paths they change
firstIssueWelcomeComment: "${WELCOME}"
labelPRBasedOnFilePath:
  docs:
    - docs/**/*
  tests:
    - tests/**/*
`;

/** The repository as webhooks carry it. */
const repository = (id: number, name: string) => ({
  id,
  node_id: `R_${id}`,
  name,
  full_name: `octo/${name}`,
  private: false,
  owner: { login: 'octo', id: 7001, type: 'Organization' },
  html_url: `https://github.example/octo/${name}`,
  default_branch: 'main',
});

describe('an unmodified Probot app (boring-cyborg)', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ app: APP, env: apiEnv(fake) });
    // Issues 1–6 are by user1–user6; pull requests 7 and 8 by user0 and user1.
    await installRepo(h, fake, 'octo/cyborg', { id: 92, installation: '920', issues: 6, pulls: 2 });
    const repo = fake.repo('octo/cyborg');
    repo.files.set(CONFIG_PATH, CONFIG);
    repo.commits.push(
      { sha: 'a1'.repeat(20), author: 'user2', message: 'Fix the scheduler', date: '2025-01-02T00:00:00Z' },
      { sha: 'b2'.repeat(20), author: 'maintainer', message: 'Initial commit', date: '2025-01-01T00:00:00Z' },
    );
    // More files than a page holds (30), the docs one last: the labeler only sees it by paginating.
    const sources = Array.from({ length: 34 }, (_, i) => `airflow/operators/op_${i}.py`);
    repo.pullFiles.set(7, [...sources, 'docs/index.md']);
    await installRepo(h, fake, 'octo/bare', { id: 93, installation: '930', issues: 2 });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  async function deliver(event: string, payload: Record<string, unknown>) {
    const answer = await h.post(githubDelivery({ event, payload }));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const key = String(answer.body.workflowId);
    // Settled either way, so a failure shows the app's error at once rather than a timeout.
    const row = await waitFor(
      `${key} to settle`,
      async () => {
        const r = await h.store.getDelivery(key);
        return r?.outcome === 'completed' || r?.outcome === 'failed' ? r : undefined;
      },
      60_000,
    );
    assert.equal(row.outcome, 'completed', row.reason ?? '');
    return row;
  }
  const issueOpened = (name: string, id: number, number: number, installation: number) => {
    const issue = fake.issueJson(`octo/${name}`, number);
    const login = (issue.user as { login: string }).login;
    const user = { login, id: 5000 + number, type: 'User' };
    return deliver('issues', {
      action: 'opened',
      issue: { ...issue, user, author_association: 'NONE' },
      repository: repository(id, name),
      sender: user,
      installation: { id: installation },
    });
  };
  /** What the delivery's requests to the repository were, from `from` on. */
  const since = (from: number, repo: string) =>
    fake.requests.slice(from).filter((r) => r.path.startsWith(`/repos/${repo}/`));
  /** Changes to repositories (an installation token's issuance is not one). */
  const mutations = (from: number) =>
    fake.requests
      .slice(from)
      .filter((r) => r.path.startsWith('/repos/') && r.method !== 'GET' && r.method !== 'HEAD');

  test("a first-time contributor's issue is welcomed with the configured comment, once", async () => {
    const from = fake.requests.length;
    const row = await issueOpened('cyborg', 92, 1, 920);
    const sent = since(from, 'octo/cyborg');
    const posted = sent.filter((r) => r.method === 'POST');
    assert.deepEqual(
      posted.map((r) => [r.path, r.status]),
      [['/repos/octo/cyborg/issues/1/comments', 201]],
    );
    const comments = fake.repo('octo/cyborg').comments.filter((c) => c.issueNumber === 1);
    assert.deepEqual(
      comments.map((c) => c.body),
      [WELCOME],
    );
    // It read its config, then the author's commits and issues, before deciding.
    const urls = sent.filter((r) => r.method === 'GET').map((r) => new URL(r.url));
    assert.ok(urls.some((u) => u.pathname.endsWith('/contents/.github%2Fboring-cyborg.yml')));
    assert.ok(urls.some((u) => u.pathname.endsWith('/commits') && u.searchParams.get('author') === 'user1'));
    assert.ok(urls.some((u) => u.pathname.endsWith('/issues') && u.searchParams.get('creator') === 'user1'));
    for (const r of sent) {
      assert.equal(r.credential, 'installation:920');
      assert.equal(r.requestId, row.ref.deliveryId);
    }
    assert.equal(mutations(from).length, 1);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });

  test('an author with commits on the default branch is not welcomed', async () => {
    const from = fake.requests.length;
    await issueOpened('cyborg', 92, 2, 920);
    const urls = since(from, 'octo/cyborg').map((r) => new URL(r.url));
    assert.ok(urls.some((u) => u.pathname.endsWith('/commits') && u.searchParams.get('author') === 'user2'));
    assert.equal(mutations(from).length, 0);
    assert.equal(fake.repo('octo/cyborg').comments.filter((c) => c.issueNumber === 2).length, 0);
  });

  test('a pull request is labelled by the paths of its files, read over two pages', async () => {
    const from = fake.requests.length;
    const pull = fake.pullJson('octo/cyborg', 7);
    const login = (pull.user as { login: string }).login;
    const user = { login, id: 5007, type: 'User' };
    await deliver('pull_request', {
      action: 'opened',
      number: 7,
      pull_request: { ...pull, user, author_association: 'FIRST_TIME_CONTRIBUTOR' },
      repository: repository(92, 'cyborg'),
      sender: user,
      installation: { id: 920 },
    });
    const sent = since(from, 'octo/cyborg');
    const files = sent.filter((r) => r.method === 'GET' && r.path === '/repos/octo/cyborg/pulls/7/files');
    assert.equal(files.length, 2, 'both pages of the files');
    assert.ok(
      sent.some((r) => r.method === 'GET' && r.path === '/repos/octo/cyborg/pulls/7' && r.status === 200),
    );
    assert.deepEqual(
      mutations(from).map((r) => [r.method, r.path, r.status]),
      [['POST', '/repos/octo/cyborg/issues/7/labels', 200]],
    );
    const labels = fake.repo('octo/cyborg').pulls.find((p) => p.number === 7)!.labels;
    assert.deepEqual(labels, [{ name: 'docs' }]);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });

  test('without a config file, in the repository or the organisation’s .github, the app changes nothing', async () => {
    const from = fake.requests.length;
    await issueOpened('bare', 93, 1, 930);
    const lookups = fake.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && r.path.includes('/contents/'))
      .map((r) => [r.path, r.status]);
    assert.deepEqual(lookups, [
      ['/repos/octo/bare/contents/.github%2Fboring-cyborg.yml', 404],
      ['/repos/octo/.github/contents/.github%2Fboring-cyborg.yml', 404],
    ]);
    assert.equal(mutations(from).length, 0);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });
});
