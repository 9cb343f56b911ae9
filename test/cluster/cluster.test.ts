// hookflow's production shape on a real Temporal server on PostgreSQL (the run's cluster, not the dev
// server): two hookflow server processes and two worker processes. Signed deliveries spread over
// both servers, copies of one delivery posted to both at once, a repository sync, a bulk replay and
// a reconcile pass: every delivery runs exactly once, GitHub's limits are kept, and the README's
// Temporal UI queries work on PostgreSQL visibility. Last, a real Prometheus scrapes the four
// processes and evaluates hookflow's alert rules on what they serve.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../lib/net';
import { startSyncJob, syncArgs } from '../../lib/sync-client';
import type { SyncProgress } from '../../lib/contracts/sync-progress';
import type { ReconcileSummary } from '../../lib/contracts/reconcile';
import type { ReplayJobProgress } from '../../lib/contracts/replay-job';
import { SEARCH_ATTRIBUTE_KEYS } from '../../lib/temporal/search-attributes';
import type { FakeGitHub } from '../fake-github/server';
import { apiEnv, installRepo, issueOpened, startFake } from '../helpers/api';
import { cliEnv, runCli } from '../helpers/cli';
import { githubKeyOf, post, type Answer, type Delivery } from '../helpers/deliveries';
import { waitFor } from '../helpers/env';
import { FEW_CONNECTIONS } from '../helpers/cluster';
import { startHookflow, type Harness } from '../helpers/harness';
import { startPrometheus } from '../helpers/prometheus';
import { spawnServer } from '../helpers/server-process';
import { exited, spawnWorker } from '../helpers/worker-process';

const REPO = 'octo/cluster';
const SPACING_MS = 20;

describe('two servers and two workers on a Temporal cluster', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let env: Record<string, string>;
  const servers: { child: ChildProcess; webhookUrl: string }[] = [];
  const children: ChildProcess[] = [];
  const delivered: Delivery[] = [];
  const metrics: Record<string, string[]> = { 'hookflow-server': [], 'hookflow-worker': [] };

  before(async () => {
    fake = await startFake({ mutationSpacingMs: SPACING_MS, limit: 5_000, contentPerMinute: 10_000 });
    env = apiEnv(fake, {
      WEBHOOK_SECRET: 'test-secret',
      HOOKFLOW_WELCOME_LABEL: 'triage',
      HOOKFLOW_WELCOME_COMMENT: 'Welcome!',
      HOOKFLOW_MUTATION_SPACING_MS: String(SPACING_MS),
      HOOKFLOW_CONTENT_PER_MINUTE: '10000',
      HOOKFLOW_CONTENT_PER_HOUR: '100000',
    });
    // The harness stands for the operator's tools: its store, its Temporal client. It runs no worker.
    h = await startHookflow({ worker: false, env: { ...env, ...FEW_CONNECTIONS } });
    await installRepo(h, fake, REPO, { id: 501, installation: '5001', issues: 120, commentsPerIssue: 1 });
  });
  after(async () => {
    for (const c of [...children, ...servers.map((s) => s.child)]) c.kill('SIGKILL');
    await Promise.all([...children, ...servers.map((s) => s.child)].map(exited));
    await h?.close();
    await fake?.close();
  });

  const customAttributes = async () =>
    Object.keys(
      (
        await h.client.connection.operatorService.listSearchAttributes({
          namespace: h.config.temporal.namespace,
        })
      ).customAttributes ?? {},
    );

  test("a fresh cluster gets hookflow's search attributes from hookflow's own start-up", async () => {
    const names = SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);
    // The run's cluster was made without them (test/run.ts), as `temporal operator namespace create` leaves it.
    const before = await customAttributes();
    assert.deepEqual(
      names.filter((n) => before.includes(n)),
      [],
      'no hookflow search attribute before a hookflow server started',
    );
    // Metrics on ports of their own, for the Prometheus of the last test.
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      metrics['hookflow-server'].push(`127.0.0.1:${port}`);
      servers.push(await spawnServer(h, { ...env, ...FEW_CONNECTIONS, HOOKFLOW_METRICS_PORT: String(port) }));
    }
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      metrics['hookflow-worker'].push(`127.0.0.1:${port}`);
      children.push(spawnWorker(h, { ...env, HOOKFLOW_WORKER_METRICS_PORT: String(port) }));
    }
    const after = await customAttributes();
    assert.deepEqual(
      names.filter((n) => !after.includes(n)),
      [],
      'every hookflow search attribute once a server answers',
    );
  });

  test('deliveries over both servers, copies across both at once: each runs exactly once, limits kept', async () => {
    const single = Array.from({ length: 40 }, (_, i) => issueOpened(fake, REPO, i + 1, 5001));
    const copied = Array.from({ length: 8 }, (_, i) => issueOpened(fake, REPO, i + 41, 5001));
    const answers = await Promise.all([
      ...single.map((d, i) => post(servers[i % 2].webhookUrl, d)),
      // Three copies to each server, all at once.
      ...copied.flatMap((d) =>
        servers.flatMap((s) => [post(s.webhookUrl, d), post(s.webhookUrl, d), post(s.webhookUrl, d)]),
      ),
    ]);
    const bodies = (as: Answer[]) => as.map((a) => `${a.status} ${String(a.body.status)}`).sort();
    assert.deepEqual(bodies(answers.slice(0, 40)), Array(40).fill('202 accepted'));
    for (let i = 0; i < copied.length; i++) {
      const mine = answers.slice(40 + i * 6, 40 + (i + 1) * 6);
      assert.deepEqual(bodies(mine), [
        '200 duplicate',
        '200 duplicate',
        '200 duplicate',
        '200 duplicate',
        '200 duplicate',
        '202 accepted',
      ]);
    }

    delivered.push(...single, ...copied);
    const keys = delivered.map(githubKeyOf);
    await waitFor(
      'every delivery to complete',
      async () =>
        (await Promise.all(keys.map((k) => h.store.getDelivery(k)))).every((r) => r?.outcome === 'completed'),
      120_000,
      250,
    );
    for (const [i, d] of copied.entries())
      assert.equal((await h.store.getDelivery(githubKeyOf(d)))?.receiveCount, 6, `copied delivery ${i}`);
    // Exactly once, as Temporal saw it: one run per delivery (PostgreSQL visibility, by search attribute)…
    const runs = await waitFor('the runs to be listed', async () => {
      const ids: string[] = [];
      for await (const w of h.client.workflow.list({
        query: `HookflowRepository = "${REPO}" AND HookflowEvent = "issues" AND HookflowAction = "opened"`,
      }))
        ids.push(w.workflowId);
      return ids.length >= keys.length ? ids : undefined;
    });
    assert.deepEqual([...runs].sort(), [...keys].sort());
    // …and as GitHub saw it: one welcome label and one welcome comment per issue.
    for (const what of ['labels', 'comments']) {
      const posted = fake.requests
        .filter((r) => r.method === 'POST' && r.status < 300 && r.path.endsWith(`/${what}`))
        .map((r) => r.path);
      assert.equal(posted.length, 48, `${what}: ${posted.length}`);
      assert.equal(new Set(posted).size, 48, `${what}: one per issue`);
    }
    assert.deepEqual(fake.violations, []);
  });

  test("the README's Temporal UI queries work on PostgreSQL visibility", async () => {
    // A run's close reaches PostgreSQL visibility a moment after the ledger says completed.
    const expectCount = async (query: string, expected: number) => {
      const seen = await waitFor(`${expected} runs for ${query}`, async () => {
        const { count } = await h.client.workflow.count(query);
        return count === expected ? count : undefined;
      }).catch(async () => (await h.client.workflow.count(query)).count);
      assert.equal(seen, expected, query);
    };
    await expectCount(
      `ExecutionStatus = "Completed" AND HookflowEvent = "issues" AND HookflowRepository = "${REPO}"`,
      48,
    );
    await expectCount(
      `ExecutionStatus = "Failed" AND HookflowEvent = "issues" AND HookflowRepository = "${REPO}"`,
      0,
    );
    await expectCount(`HookflowInstallation = "5001" AND HookflowProvider = "github"`, 48);
    await expectCount(`HookflowDeliveryId = "${delivered[0].headers['x-github-delivery']}"`, 1);
    await expectCount(`HookflowDeliveryId = "${randomUUID()}"`, 0);
  });

  test('a repository sync on the workers: every issue and comment stored, limits kept', async () => {
    const job = await startSyncJob(h.client, h.taskQueue, syncArgs(h.config, REPO, '5001'));
    const done = (await job.result()) as SyncProgress;
    assert.equal(done.issues, 120);
    // The welcome comments posted meanwhile are in the listing too.
    assert.ok(done.comments >= 120 && done.comments <= 168, `${done.comments} comments`);
    assert.deepEqual(fake.violations, []);
  });

  test('a bulk replay of failed deliveries: each replayed once, all complete', async () => {
    fake.script({
      method: 'POST',
      path: /\/labels$/,
      times: 10,
      status: 422,
      body: { message: 'Validation Failed' },
    });
    const since = new Date(Date.now() - 1_000).toISOString();
    const failing = Array.from({ length: 10 }, (_, i) => issueOpened(fake, REPO, i + 61, 5001));
    for (const [i, d] of failing.entries())
      assert.equal((await post(servers[i % 2].webhookUrl, d)).status, 202);
    const keys = failing.map(githubKeyOf);
    await waitFor(
      'the ten to fail',
      async () =>
        (await Promise.all(keys.map((k) => h.store.getDelivery(k)))).every((r) => r?.outcome === 'failed'),
      120_000,
      250,
    );
    const run = await runCli(
      [
        'replay',
        '--status',
        'failed',
        '--event',
        'issues',
        '--since',
        since,
        '--yes',
        '--rps',
        '50',
        '--json',
      ],
      cliEnv(h),
    );
    assert.equal(run.code, 0, run.stderr);
    const job = JSON.parse(run.stdout) as ReplayJobProgress;
    assert.deepEqual(
      [job.state, job.matched, job.replayed, job.succeeded, job.failed],
      ['done', 10, 10, 10, 0],
    );
    for (const k of keys) assert.equal((await h.store.getDelivery(k))?.outcome, 'completed');
    assert.equal((await h.client.workflow.count(`HookflowReplayJob = "${job.job}"`)).count, 10);
  });

  test('a reconcile pass asks GitHub once for each delivery it missed; all complete', async () => {
    const hook = fake.addHook(
      { kind: 'app' },
      { id: '9501', url: 'http://127.0.0.1:9/down', secret: 'test-secret' },
    );
    const missed: string[] = [];
    for (let n = 81; n <= 90; n++) {
      const sent = await hook.send('issues', {
        action: 'edited',
        issue: fake.issueJson(REPO, n),
        repository: { full_name: REPO },
        installation: { id: 5001 },
      });
      missed.push(sent.guid);
    }
    hook.url = servers[1].webhookUrl;
    const run = await runCli(['reconcile', '--json', '--since', '1h'], cliEnv(h));
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as ReconcileSummary;
    assert.equal(summary.redelivered, 10, run.stdout);
    await waitFor(
      'the ten redelivered to complete',
      async () =>
        (await Promise.all(missed.map(async (g) => (await h.store.findDeliveries(g))[0]?.status))).every(
          (s) => s === 'completed',
        ),
      120_000,
      250,
    );
    assert.equal(hook.attemptRequests.length, 10);
  });

  test("a real Prometheus scrapes all four processes and evaluates hookflow's rules: no target down, no rule erring", async () => {
    const prometheus = await startPrometheus(metrics);
    try {
      type Targets = {
        activeTargets: { labels: { job: string }; scrapeUrl: string; health: string; lastError: string }[];
      };
      await waitFor('every target to be scraped', async () => {
        const { activeTargets } = await prometheus.api<Targets>('targets');
        return activeTargets.length === 4 && activeTargets.every((t) => t.health === 'up');
      });
      type Rules = {
        groups: {
          name: string;
          lastEvaluation: string;
          rules: { name: string; health: string; lastError?: string }[];
        }[];
      };
      // A minute of scrapes and rule evaluations (one a second) after the last target came up.
      const upAt = Date.now();
      const rules = await waitFor(
        'a minute of rule evaluations',
        async () => {
          const data = await prometheus.api<Rules>('rules');
          return data.groups.length > 0 &&
            data.groups.every((g) => Date.parse(g.lastEvaluation) > upAt + 60_000)
            ? data
            : undefined;
        },
        120_000,
        1_000,
      );
      assert.deepEqual(
        rules.groups.flatMap((g) =>
          g.rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
        ),
        [],
      );
      const { activeTargets } = await prometheus.api<Targets>('targets');
      assert.deepEqual(
        activeTargets.filter((t) => t.health !== 'up').map((t) => `${t.scrapeUrl}: ${t.lastError}`),
        [],
      );
      const { alerts } = await prometheus.api<{ alerts: { labels: { alertname: string } }[] }>('alerts');
      assert.deepEqual(
        alerts.filter((a) => a.labels.alertname === 'HookflowTargetDown'),
        [],
      );
      // What the rules read is there: the deliveries of this file, counted by both servers together.
      type Vector = { result: { value: [number, string] }[] };
      const answered = await prometheus.api<Vector>(
        `query?query=${encodeURIComponent('sum(hookflow_deliveries_total)')}`,
      );
      assert.ok(Number(answered.result[0]?.value[1]) >= 48, JSON.stringify(answered));
    } finally {
      await prometheus.stop();
    }
  });
});
