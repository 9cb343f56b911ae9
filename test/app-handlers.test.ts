// A user's plain-handler app (test/fixtures/apps/triage.ts) driven by signed deliveries against the
// fake GitHub: its requests go through hookflow's client, a retried handler repeats none of the
// mutations it completed, and its own errors fail the delivery visibly, once. All of it twice:
// handlers as activities (the default) and as local activities (HOOKFLOW_LOCAL_HANDLERS).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { testEnv, waitFor } from './helpers/env';
import { heardErrors } from './fixtures/apps/triage';
import { workflowSinks } from '../worker/create-worker';
import { Worker } from '@temporalio/worker';
import { dataConverterFor } from '../lib/temporal/data-converter';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHandlerActivities } from '../activities/handler-activities';
import { githubClientFrom } from '../activities/github/from-config';
import { loadApp } from '../app/load-app';
import { createLogger } from '../lib/logger';

const APP = path.join(__dirname, 'fixtures', 'apps', 'triage.ts');
const REPO = { id: 91, full_name: 'octo/app', name: 'app', owner: { login: 'octo' } };

for (const local of [false, true])
  describe(`a plain-handler app, handlers as ${local ? 'local activities' : 'activities'}`, () => {
    let fake: FakeGitHub;
    let h: Harness;
    before(async () => {
      fake = await startFake();
      h = await startHookflow({
        app: APP,
        // An activity's rate-limit waits over half a second are the workflow's timers here (the
        // rate-limit test below); a local activity's are with the default setting too.
        env: apiEnv(fake, local ? { HOOKFLOW_LOCAL_HANDLERS: 'true' } : { HOOKFLOW_RETRY_WAIT_MS: '500' }),
      });
      await installRepo(h, fake, 'octo/app', { id: 91, installation: '910', issues: 8 });
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

      // How the handler ran, from the history: its own activity, or a local one. Read once the run
      // has closed: the ledger says "completed" from inside the run's last workflow task, a moment
      // before that task is recorded.
      const run = h.client.workflow.getHandle(row.ref.key);
      await run.result();
      const events = (await run.fetchHistory()).events ?? [];
      const scheduled = events.flatMap((e) =>
        e.activityTaskScheduledEventAttributes
          ? [e.activityTaskScheduledEventAttributes.activityType?.name]
          : [],
      );
      assert.deepEqual(scheduled, local ? [] : ['runHandler']);
      // Locally: the delivery's first step, the handler and the ledger's outcome, each a marker.
      const markers = events.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      assert.equal(markers.length, local ? 3 : 2);
    });

    test('a 502 after the comment: the handler is retried, the comment is answered from the journal, posted once', async () => {
      fake.script({ method: 'POST', path: /^\/repos\/octo\/app\/issues\/2\/labels$/, times: 1, status: 502 });
      const from = fake.requests.length;
      const row = await deliver(2, 'completed');
      const reads = fake.requests
        .slice(from)
        .filter((r) => r.method === 'GET' && r.path === '/repos/octo/app');
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
      // The app's module is shared by both runs of this suite: only this delivery's errors count.
      assert.deepEqual(
        heardErrors.filter((e) => e.delivery === row.ref.deliveryId),
        [{ handler: 'issues.opened#1', delivery: row.ref.deliveryId, message: 'scripted' }],
      );
      assert.equal(comments(3).length, 1);
    });

    test('a transient failure the handler caught still runs it again; a cached read is a 200 to it', async () => {
      fake.script({
        method: 'POST',
        path: /^\/repos\/octo\/app\/issues\/5\/comments$/,
        times: 1,
        status: 502,
      });
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
      fake.script({
        method: 'POST',
        path: /^\/repos\/octo\/app\/issues\/6\/comments$/,
        times: 1,
        status: 502,
      });
      const row = await deliver(6, 'completed', 'reopened');
      assert.equal(comments(6).length, 1, 'one comment');
      assert.match(
        row.reason ?? '',
        /handler issues\.reopened#1: done \(0 requests, 1 answered from the journal\)/,
      );
    });

    test('an attempt Temporal gave up on, alive with its comment on the wire: the next attempt waits for its answer', async () => {
      const row = await deliver(7, 'completed');
      assert.equal(comments(7).length, 1);
      let arrived = false;
      let release!: () => void;
      fake.script({
        method: 'POST',
        path: /^\/repos\/octo\/app\/issues\/7\/comments$/,
        times: 1,
        hold: { until: new Promise<void>((r) => (release = r)), arrived: () => (arrived = true) },
      });
      const lines: string[] = [];
      const logger = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
      // A timeout far longer than the test: the held comment must not time out on a busy machine.
      const config = { ...h.config, api: { ...h.config.api, timeoutMs: 120_000 } };
      const activities = createHandlerActivities({
        store: h.store,
        api: config.api,
        github: githubClientFrom(config, h.store, logger),
        logger,
        githubApiUrl: h.config.githubApiUrl,
        app: await loadApp(APP, logger),
      });
      // Two attempts of one handler in one (made-up) run, as after a missed heartbeat; or, for a
      // local activity, two executions of its first attempt, as when its workflow task timed out
      // and ran again: the same activity ID and attempt.
      const attempt = (n: number): Promise<string> =>
        new MockActivityEnvironment({
          attempt: local ? 1 : n,
          isLocal: local,
          activityId: '1',
          workflowExecution: { workflowId: row.ref.key, runId: 'a-run-given-up-on' },
        }).run(() => activities.runHandler(row.ref, 'issues.opened#1'));
      const first = attempt(1);
      await waitFor('the first attempt to post its comment', () => Promise.resolve(arrived));
      const second = attempt(2);
      await waitFor('the second attempt to wait for the first one', () =>
        Promise.resolve(lines.some((l) => l.includes('sending this request: waiting for its answer'))),
      );
      release();
      const [done1, done2] = await Promise.all([first, second]);
      // Which of the two posts the label is theirs to race for; each mutation is sent once either way.
      assert.match(done1, /^handler issues\.opened#1: done/);
      assert.match(done2, /[12] answered from the journal/);
      assert.equal(comments(7).length, 2, 'one more comment for the new run, not two');
      assert.equal(sent('POST', '/issues/7/labels').length, 2, 'one more label request for the new run');
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

    test("a long rate limit on a handler's request: the workflow waits it out as a timer, then runs the handler again", async () => {
      // Three seconds: more than the client waits inline (2 s), or leaves to an activity's retry
      // (0.5 s here); a local activity leaves none to its retries.
      fake.script({
        method: 'POST',
        path: /^\/repos\/octo\/app\/issues\/8\/comments$/,
        times: 1,
        status: 429,
        headers: { 'retry-after': '3' },
      });
      const row = await deliver(8, 'completed');
      assert.equal(comments(8).length, 1);
      assert.match(row.reason ?? '', /handler issues\.opened#1: done/);
      const run = h.client.workflow.getHandle(row.ref.key);
      await run.result();
      const events = (await run.fetchHistory()).events ?? [];
      const timers = events.flatMap((e) =>
        e.timerStartedEventAttributes
          ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds)]
          : [],
      );
      assert.ok(timers.length === 1 && timers[0] >= 2, `one wait of about 3 s: ${JSON.stringify(timers)}`);
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
