// The example app (examples/triage-bot), as its user runs it with `hookflow run ./app.ts`, against
// the fake GitHub: its plain handler welcomes and labels a new issue as the repository's config
// says, and its own workflow (bundled with hookflow's, run as a child of the delivery's workflow,
// calling GitHub through hookflow's API activity and its own activity) comments a summary of a new
// pull request's files; that workflow's history replays against the same bundle.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadApp } from '../app/load-app';
import { DEFAULT_CONFIG } from '../examples/triage-bot/app';
import { createLogger } from '../lib/logger';
import { bundleWorkflows, workflowSinks } from '../worker/create-worker';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { dataConverterFor } from '../lib/temporal/data-converter';

const APP = path.join(__dirname, '..', 'examples', 'triage-bot', 'app.ts');
const REPO = { id: 95, full_name: 'octo/triage', name: 'triage', owner: { login: 'octo' } };
const SENDER = { login: 'mona', id: 5001, type: 'User' };

describe('the example app (examples/triage-bot)', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ app: APP, env: apiEnv(fake) });
    // Issues 1 and 2, then pull request 3.
    await installRepo(h, fake, 'octo/triage', { id: 95, installation: '950', issues: 2, pulls: 1 });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  async function deliver(event: string, payload: Record<string, unknown>) {
    const answer = await h.post(
      githubDelivery({
        event,
        payload: { ...payload, repository: REPO, sender: SENDER, installation: { id: 950 } },
      }),
    );
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const key = String(answer.body.workflowId);
    await h.waitForOutcome(key, 'completed', 120_000);
    return key;
  }
  const issueOpened = (number: number) =>
    deliver('issues', { action: 'opened', issue: fake.issueJson('octo/triage', number) });
  const comments = (number: number) =>
    fake
      .repo('octo/triage')
      .comments.filter((c) => c.issueNumber === number)
      .map((c) => c.body);
  const labels = (number: number) =>
    fake
      .repo('octo/triage')
      .issues.find((i) => i.number === number)!
      .labels.map((l) => l.name);

  test('a new issue, no config file anywhere: the default comment, once, and the default label', async () => {
    const had = labels(1);
    await issueOpened(1);
    assert.deepEqual(comments(1), [DEFAULT_CONFIG.comment]);
    assert.deepEqual(labels(1), [...had, DEFAULT_CONFIG.label]);
    const lookups = fake.requests.filter((r) => r.path.includes('/contents/')).map((r) => [r.path, r.status]);
    assert.deepEqual(lookups, [
      ['/repos/octo/triage/contents/.github%2Ftriage-bot.yml', 404],
      ['/repos/octo/.github/contents/.github%2Ftriage-bot.yml', 404],
    ]);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });

  test("a new issue in a repository with .github/triage-bot.yml: the file's comment and label", async () => {
    fake.repo('octo/triage').files.set('.github/triage-bot.yml', 'label: needs-triage\ncomment: Welcome!\n');
    const had = labels(2);
    await issueOpened(2);
    assert.deepEqual(comments(2), ['Welcome!']);
    assert.deepEqual(labels(2), [...had, 'needs-triage']);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });

  test("a new pull request: the app's workflow reads its files over pages and comments a summary", async () => {
    const number = 3;
    const files = [...Array.from({ length: 120 }, (_, i) => `src/f${i}.ts`), 'README.md'];
    fake.repo('octo/triage').pullFiles.set(number, files);
    const from = fake.requests.length;
    const key = await deliver('pull_request', {
      action: 'opened',
      number,
      pull_request: fake.pullJson('octo/triage', number),
    });
    const expected = 'Triage bot: 121 files changed: README.md (1), src/ (120).';
    assert.deepEqual(comments(number), [expected]);
    const pages = fake.requests
      .slice(from)
      .filter((r) => r.path === `/repos/octo/triage/pulls/${number}/files`);
    assert.equal(pages.length, 2, 'both pages of files were read');
    assert.ok(
      fake.requests
        .slice(from)
        .filter((r) => r.path.startsWith('/repos/octo/triage'))
        .every((r) => r.credential === 'installation:950'),
    );
    const child = h.client.workflow.getHandle(`${key}/pull_request.opened#1`);
    assert.equal(await child.result(), expected);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));

    // The app's workflow, bundled with hookflow's as workers bundle it, replays its recorded history.
    const loaded = await loadApp(APP, createLogger('silent'));
    const code = await bundleWorkflows(undefined, loaded.workflows!.path);
    const results = [];
    for await (const r of Worker.runReplayHistories(
      {
        workflowBundle: { code },
        replayName: 'example-app-replay',
        sinks: workflowSinks(undefined),
        dataConverter: dataConverterFor(h.config),
      },
      [{ workflowId: child.workflowId, history: await child.fetchHistory() }],
    )) {
      results.push(r);
    }
    assert.equal(results.length, 1);
    assert.equal(results[0].error, undefined, String(results[0].error));
  });
});
