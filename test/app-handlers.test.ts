// A user's plain-handler app (test/fixtures/apps/triage.ts) driven by signed deliveries against the
// fake GitHub: its requests go through hookflow's client, a retried handler repeats none of the
// mutations it completed, and its own errors fail the delivery visibly, once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { testEnv } from './helpers/env';
import { heardErrors } from './fixtures/apps/triage';
import { workflowSinks } from '../worker/create-worker';
import { Worker } from '@temporalio/worker';
import { dataConverterFor } from '../lib/temporal/data-converter';

const APP = path.join(__dirname, 'fixtures', 'apps', 'triage.ts');
const REPO = { id: 91, full_name: 'octo/app', name: 'app', owner: { login: 'octo' } };

describe('a plain-handler app', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ app: APP, env: apiEnv(fake) });
    await installRepo(h, fake, 'octo/app', { id: 91, installation: '910', issues: 6 });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  const opened = (number: number, action = 'opened') =>
    githubDelivery({
      event: 'issues',
      payload: {
        action,
        issue: fake.issueJson('octo/app', number),
        repository: REPO,
        installation: { id: 910 },
      },
    });
  async function deliver(number: number, outcome: 'completed' | 'failed', action = 'opened') {
    const answer = await h.post(opened(number, action));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const key = String(answer.body.workflowId);
    await h.waitForOutcome(key, outcome, 60_000);
    return (await h.store.getDelivery(key))!;
  }
  const sent = (method: string, pathEnd: string) =>
    fake.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd) && r.status < 300);
  const comments = (number: number) =>
    fake.requests.filter(
      (r) =>
        r.method === 'POST' && r.path === `/repos/octo/app/issues/${number}/comments` && r.status === 201,
    );

  test('a new issue is thanked and labelled through the installation, with the delivery ID on each request', async () => {
    const row = await deliver(1, 'completed');
    assert.equal(comments(1).length, 1);
    assert.equal(sent('POST', '/issues/1/labels').length, 1);
    const author = (fake.issueJson('octo/app', 1).user as { login: string }).login;
    assert.ok(fake.requests.length > 0);
    for (const r of fake.requests.filter((x) => x.path.startsWith('/repos/octo/app'))) {
      assert.equal(r.credential, 'installation:910');
      assert.equal(r.requestId, row.ref.deliveryId);
    }
    assert.match(row.reason ?? '', /handler issues\.opened#1: done \(3 requests\)/);
    const listed = fake.requests.filter((r) => r.path === '/repos/octo/app/issues/1/comments');
    assert.equal(listed.length, 1);
    assert.ok(author.length > 0);
    assert.equal(fake.violations.length, 0, JSON.stringify(fake.violations));
  });

  test('a 502 after the comment: the handler is retried, the comment is answered from the journal, posted once', async () => {
    fake.script({ method: 'POST', path: /^\/repos\/octo\/app\/issues\/2\/labels$/, times: 1, status: 502 });
    const from = fake.requests.length;
    const row = await deliver(2, 'completed');
    const reads = fake.requests.slice(from).filter((r) => r.method === 'GET' && r.path === '/repos/octo/app');
    assert.equal(comments(2).length, 1, 'one comment');
    assert.equal(sent('POST', '/issues/2/labels').length, 1, 'labelled once it went through');
    assert.equal(reads.length, 2, 'the read is made again');
    assert.match(row.reason ?? '', /1 answered from the journal/);
  });

  test("the handler's own failure (a 422 it does not catch) fails the delivery visibly, without a retry", async () => {
    fake.script({ method: 'POST', path: /^\/repos\/octo\/app\/issues\/3\/labels$/, times: 5, status: 422 });
    const row = await deliver(3, 'failed');
    assert.match(row.reason ?? '', /handler issues\.opened#1 failed: .*scripted/);
    const labelAttempts = fake.requests.filter(
      (r) => r.method === 'POST' && r.path === '/repos/octo/app/issues/3/labels',
    );
    assert.equal(labelAttempts.length, 1, 'not retried');
    assert.deepEqual(heardErrors, [
      { handler: 'issues.opened#1', delivery: row.ref.deliveryId, message: 'scripted' },
    ]);
    assert.equal(comments(3).length, 1);
  });

  test('a transient failure the handler caught still runs it again; a cached read is a 200 to it', async () => {
    fake.script({ method: 'POST', path: /^\/repos\/octo\/app\/issues\/5\/comments$/, times: 1, status: 502 });
    const row = await deliver(5, 'completed', 'labeled');
    assert.equal(comments(5).length, 1, 'the comment the first attempt missed was posted');
    const reads = fake.requests.filter((r) => r.method === 'GET' && r.path === '/repos/octo/app');
    assert.ok(
      reads.some((r) => r.status === 304),
      'the repository read was answered from the cache',
    );
    assert.match(row.reason ?? '', /handler issues\.labeled#1: done/);
  });

  test('a request the handler retried itself: its retry (after the caught 502) answers the comment from the journal', async () => {
    fake.script({ method: 'POST', path: /^\/repos\/octo\/app\/issues\/6\/comments$/, times: 1, status: 502 });
    const row = await deliver(6, 'completed', 'reopened');
    assert.equal(comments(6).length, 1, 'one comment');
    assert.match(
      row.reason ?? '',
      /handler issues\.reopened#1: done \(0 requests, 1 answered from the journal\)/,
    );
  });

  test('events the app does not handle: built-in ones run as before, others are ignored', async () => {
    const closed = await deliver(4, 'completed', 'closed');
    assert.doesNotMatch(closed.reason ?? '', /handler/);
    assert.equal(comments(4).length, 0);
    const answer = await h.post(
      githubDelivery({
        event: 'check_run',
        payload: { action: 'created', repository: REPO, installation: { id: 910 } },
      }),
    );
    assert.equal(answer.status, 202);
    assert.equal(answer.body.status, 'ignored');
  });

  test("the deliveries' histories, handlers and their retries included, replay against the workers' bundle", async () => {
    const query = `TaskQueue = "${h.taskQueue}" AND ExecutionStatus != "Running"`;
    const results = [];
    for await (const r of Worker.runReplayHistories(
      {
        workflowBundle: { codePath: testEnv.workflowBundle },
        replayName: 'app-handlers-replay',
        sinks: workflowSinks(undefined),
        // The histories' payloads are encrypted, as the workers wrote them.
        dataConverter: dataConverterFor(h.config),
      },
      h.client.workflow.list({ query }).intoHistories(),
    )) {
      results.push(r);
    }
    assert.ok(results.length >= 4, `${results.length} histories replayed`);
    assert.deepEqual(
      results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`),
      [],
    );
  });
});
