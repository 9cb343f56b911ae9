// A workflow-style app (test/fixtures/apps/review): its workflow is bundled with hookflow's, runs as
// a child of the delivery's workflow, calls GitHub through hookflow's API activity and its own
// activity, and its recorded history replays against the same bundle.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadApp } from '../app/load-app';
import { createLogger } from '../lib/logger';
import { bundleWorkflows, workflowSinks } from '../worker/create-worker';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';

const APP = path.join(__dirname, 'fixtures', 'apps', 'review', 'app.ts');
const REPO = { id: 94, full_name: 'octo/review', name: 'review', owner: { login: 'octo' } };

describe('a workflow-style app', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ app: APP, env: apiEnv(fake) });
    await installRepo(h, fake, 'octo/review', { id: 94, installation: '940', issues: 1, pulls: 1 });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  test("a new pull request is reviewed by the app's workflow: every page read, one comment", async () => {
    const number = 2; // after the one issue
    const files = [...Array.from({ length: 130 }, (_, i) => `src/f${i}.ts`), 'docs/a.md', 'docs/b.md'];
    fake.repo('octo/review').pullFiles.set(number, files);
    const answer = await h.post(
      githubDelivery({
        event: 'pull_request',
        payload: {
          action: 'opened',
          number,
          pull_request: fake.pullJson('octo/review', number),
          repository: REPO,
          installation: { id: 940 },
        },
      }),
    );
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const key = String(answer.body.workflowId);
    await h.waitForOutcome(key, 'completed', 120_000);
    const expected = 'Reviewed 132 changed files (2 in docs/).';
    assert.match((await h.store.getDelivery(key))?.reason ?? '', /workflow reviewPullRequest: Reviewed 132/);
    const posted = fake.requests.filter(
      (r) =>
        r.method === 'POST' && r.path === `/repos/octo/review/issues/${number}/comments` && r.status === 201,
    );
    assert.equal(posted.length, 1);
    const pages = fake.requests.filter((r) => r.path === `/repos/octo/review/pulls/${number}/files`);
    assert.equal(pages.length, 2, 'both pages of files were read');
    assert.ok(
      fake.requests
        .filter((r) => r.path.startsWith('/repos/octo/review'))
        .every((r) => r.credential === 'installation:940'),
    );
    assert.equal(fake.violations.length, 0);

    const child = h.client.workflow.getHandle(`${key}/pull_request.opened#1`);
    assert.equal(await child.result(), expected);
    // The app's workflow replays deterministically against the bundle workers run.
    const loaded = await loadApp(APP, createLogger('silent'));
    const code = await bundleWorkflows(undefined, loaded.workflows!.path);
    const history = await child.fetchHistory();
    const results = [];
    for await (const r of Worker.runReplayHistories(
      { workflowBundle: { code }, replayName: 'app-workflow-replay', sinks: workflowSinks(undefined) },
      [{ workflowId: child.workflowId, history }],
    )) {
      results.push(r);
    }
    assert.equal(results.length, 1);
    assert.equal(results[0].error, undefined, String(results[0].error));
  });
});
