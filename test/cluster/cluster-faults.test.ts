// Faults on the production shape: two hookflow servers and two workers on a Temporal cluster of this
// file's own (it is killed and restarted here). The Temporal server killed mid-run, a worker
// SIGKILLed, a hookflow server SIGKILLed, PostgreSQL connections terminated under load: every
// delivery hookflow acknowledged completes, each runs once, and each issue gets one welcome comment.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { visibilityDatabase, type Cluster } from '../../scripts/temporal-cluster';
import type { FakeGitHub } from '../fake-github/server';
import { apiEnv, installRepo, issueOpened, startFake } from '../helpers/api';
import { FEW_CONNECTIONS, startTestCluster } from '../helpers/cluster';
import { githubKeyOf, post, type Answer, type Delivery } from '../helpers/deliveries';
import { testEnv, waitFor } from '../helpers/env';
import { startHookflow, type Harness } from '../helpers/harness';
import { ADMIN_URL } from '../helpers/scratch-database';
import { spawnServer } from '../helpers/server-process';
import { exited, spawnWorker } from '../helpers/worker-process';

const REPO = 'octo/faults';
const SPACING_MS = 10;

describe('faults on a Temporal cluster', () => {
  let cluster: Cluster;
  let fake: FakeGitHub;
  let h: Harness;
  let env: Record<string, string>;
  /** The servers' (and the harness's): few PostgreSQL connections. */
  let serverEnv: Record<string, string>;
  const servers: { child: ChildProcess; webhookUrl: string }[] = [];
  const workers: ChildProcess[] = [];
  let nextIssue = 1;
  /** The commands the cluster was made with. */
  const commands: string[] = [];
  /** Every delivery hookflow acknowledged (answered 2xx) in this file. */
  const acknowledged: Delivery[] = [];

  before(async () => {
    cluster = await startTestCluster('faults', (line) => commands.push(line));
    fake = await startFake({ mutationSpacingMs: SPACING_MS, limit: 10_000, contentPerMinute: 10_000 });
    env = apiEnv(fake, {
      WEBHOOK_SECRET: 'test-secret',
      HOOKFLOW_WELCOME_COMMENT: 'Welcome!',
      HOOKFLOW_MUTATION_SPACING_MS: String(SPACING_MS),
      HOOKFLOW_CONTENT_PER_MINUTE: '10000',
      HOOKFLOW_CONTENT_PER_HOUR: '100000',
      // Test-sized: how long a start may take before the delivery is parked, how often the relay runs.
      HOOKFLOW_START_TIMEOUT_MS: '3000',
      HOOKFLOW_OUTBOX_INTERVAL_MS: '200',
    });
    serverEnv = { ...env, ...FEW_CONNECTIONS };
    h = await startHookflow({ worker: false, env: serverEnv, temporalAddress: cluster.address });
    await installRepo(h, fake, REPO, { id: 601, installation: '6001', issues: 400 });
    servers.push(await spawnServer(h, serverEnv), await spawnServer(h, serverEnv));
    workers.push(spawnWorker(h, env), spawnWorker(h, env));
    await polling(workers);
  });
  after(async () => {
    const all = [...workers, ...servers.map((s) => s.child)];
    for (const c of all) c.kill('SIGKILL');
    await Promise.all(all.map(exited));
    await h?.close();
    await fake?.close();
    await cluster?.destroy();
  });

  /**
   * Until each worker polls the task queue (its default identity is `<pid>@<host>`): a worker that
   * cannot reach Temporal while it starts exits, as it should, so faults wait for this.
   */
  const polling = (ws: ChildProcess[]) =>
    waitFor(
      'the workers to poll',
      async () => {
        const { pollers } = await h.client.workflowService.describeTaskQueue({
          namespace: h.config.temporal.namespace,
          taskQueue: { name: h.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        const pids = new Set((pollers ?? []).map((p) => String(p.identity).split('@')[0]));
        return ws.every((w) => pids.has(String(w.pid)));
      },
      120_000,
      250,
    );

  const deliveries = (n: number) =>
    Array.from({ length: n }, () => issueOpened(fake, REPO, nextIssue++, 6001));

  /** Posts until hookflow acknowledges it (as GitHub's redelivery would), on the servers that live. */
  const deliver = async (d: Delivery, i: number): Promise<Answer> => {
    for (let attempt = 0; ; attempt++) {
      const live = servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
      const answer = await post(live[(i + attempt) % live.length].webhookUrl, d).catch(() => undefined);
      if (answer && answer.status < 300) {
        acknowledged.push(d);
        return answer;
      }
      if (attempt > 50) assert.fail(`never acknowledged: ${answer ? answer.status : 'no answer'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** A query on the harness's store that a terminated connection may fail: then "not yet". */
  const outcomes = async (ds: Delivery[]) =>
    Promise.all(
      ds.map(async (d) => (await h.store.getDelivery(githubKeyOf(d)).catch(() => undefined))?.outcome),
    );

  const allComplete = (ds: Delivery[], what: string) =>
    waitFor(what, async () => (await outcomes(ds)).every((o) => o === 'completed'), 180_000, 250);

  /** One welcome comment per issue acknowledged so far, one run per delivery, GitHub's limits kept. */
  const exactlyOnce = async () => {
    const comments = fake.requests
      .filter((r) => r.method === 'POST' && r.status < 300 && r.path.endsWith('/comments'))
      .map((r) => r.path);
    assert.equal(comments.length, new Set(comments).size, 'an issue got two welcome comments');
    assert.equal(comments.length, acknowledged.length);
    const keys = acknowledged.map(githubKeyOf).sort();
    const runs = await waitFor('every run to be listed', async () => {
      const ids: string[] = [];
      for await (const w of h.client.workflow.list({ query: `HookflowRepository = "${REPO}"` }))
        ids.push(w.workflowId);
      return ids.length >= keys.length ? ids : undefined;
    });
    assert.deepEqual(runs.sort(), keys, 'one run per delivery');
    assert.deepEqual(fake.violations, []);
  };

  test('the Temporal server killed mid-run: deliveries queue, then all complete once it is back', async () => {
    const first = deliveries(20);
    await Promise.all(first.map(deliver));
    await cluster.server().kill();
    const during = deliveries(20);
    try {
      const answers = [];
      for (const [i, d] of during.entries()) answers.push(await deliver(d, i));
      // Acknowledged: answered once recorded, whether or not the server already knew of the outage.
      assert.ok(
        answers.every((a) => a.status === 202 && ['accepted', 'queued'].includes(String(a.body.status))),
        JSON.stringify(answers.map((a) => a.body.status)),
      );
      // Their starts fail: each waits in the outbox.
      await waitFor(
        'the deliveries to wait in the outbox',
        async () => (await h.store.outboxDepth()) >= 20,
        60_000,
        100,
      );
    } finally {
      await cluster.restart();
    }
    await allComplete([...first, ...during], 'every delivery to complete after the restart');
    await exactlyOnce();
  });

  test('a worker SIGKILLed mid-run: the other finishes its work', async () => {
    const batch = deliveries(60);
    await Promise.all(batch.map(deliver));
    await waitFor(
      'some deliveries to complete',
      async () => (await outcomes(batch)).includes('completed'),
      60_000,
      10,
    );
    const [victim] = workers.splice(0, 1);
    victim.kill('SIGKILL');
    await exited(victim);
    assert.ok(
      (await outcomes(batch)).some((o) => o !== 'completed'),
      'killed mid-run',
    );
    await allComplete(batch, 'every delivery to complete on the remaining worker');
    await exactlyOnce();
    workers.push(spawnWorker(h, env));
    await polling(workers);
  });

  test('a hookflow server SIGKILLed: the other keeps answering, nothing acknowledged is lost', async () => {
    const batch = deliveries(40);
    const [a, b] = servers;
    const send = (d: Delivery, i: number) =>
      post((i % 2 === 0 ? a : b).webhookUrl, d).then(
        (answer) => ({ d, i, answer }),
        () => ({ d, i, answer: undefined }),
      );
    // Half of them at once, A killed as its first answer comes (others may still be on the way)…
    const answers = batch.slice(0, 20).map(send);
    await answers[0];
    a.child.kill('SIGKILL');
    await exited(a.child);
    // …and the other half after: those sent to A find no one, as GitHub's would.
    const settled = [
      ...(await Promise.all(answers)),
      ...(await Promise.all(batch.slice(20).map((d, j) => send(d, 20 + j)))),
    ];
    assert.ok(
      settled.filter((s) => s.i >= 20 && s.i % 2 === 0).every((s) => s.answer === undefined),
      'the killed server answered',
    );
    for (const { d, i, answer } of settled) {
      if (answer && answer.status < 300) acknowledged.push(d);
      else
        assert.equal(i % 2, 0, `a delivery to the surviving server was not acknowledged: ${answer?.status}`);
    }
    // What the killed server never acknowledged, GitHub sends again (redelivery): the other takes it.
    const unanswered = settled.filter((s) => !(s.answer && s.answer.status < 300));
    for (const { d, i } of unanswered) await deliver(d, i);
    await allComplete(batch, 'every delivery to complete');
    await exactlyOnce();
    servers.splice(0, 1, await spawnServer(h, serverEnv));
  });

  test("PostgreSQL connections terminated under load: hookflow's and Temporal's; all acknowledged work completes", async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const databases = [
      new URL(testEnv.databaseUrl).pathname.slice(1),
      cluster.spec.database,
      visibilityDatabase(cluster.spec),
    ];
    const terminate = async () =>
      (
        await admin.query<{ n: string }>(
          `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
            WHERE datname = ANY($1) AND pid <> pg_backend_pid()`,
          [databases],
        )
      ).rows[0].n;
    try {
      const batch = deliveries(60);
      const load = Promise.all(batch.map(deliver));
      let terminated = 0;
      for (let i = 0; i < 3; i++) {
        terminated += Number(await terminate());
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(terminated > 0, 'connections were terminated');
      await load;
      await allComplete(batch, 'every delivery to complete');
      await exactlyOnce();
      const all = [...workers, ...servers.map((s) => s.child)];
      assert.ok(
        all.every((c) => c.exitCode === null && c.signalCode === null),
        'every process is still running',
      );
    } finally {
      await admin.end();
    }
  });

  test("the README's production steps are the commands this cluster was made with", () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A Temporal cluster outside compose'));
    const text = section.slice(0, section.indexOf('\n## ')).replace(/\\\n/g, ' ');
    // A command's shape: its program (without the cache's version suffix), subcommands and flags;
    // the flags' values (hosts, ports, users, database names, folders) differ between clusters.
    const shape = (line: string) => {
      const [program, ...words] = line.trim().split(/\s+/);
      // A flag's value follows it, except after the flags that take none.
      const takesValue = (w: string | undefined) =>
        w !== undefined && /^-/.test(w) && !['--allow-no-auth', '--force'].includes(w);
      const kept = words.filter((w, i) => /^-{1,2}[a-z-]+$/.test(w) || !takesValue(words[i - 1]));
      return `${program.replace(/-\d+\.\d+\.\d+$/, '')} ${[...new Set(kept.filter((w) => /^-|^[a-z][a-z-]+$/.test(w)))].sort().join(' ')}`;
    };
    const documented = new Set(
      [...text.matchAll(/(?:^\s*|`)((?:temporal|temporal-server|temporal-sql-tool) [^`#\n]+)/gm)].map((m) =>
        shape(m[1]),
      ),
    );
    assert.ok(commands.length >= 9, commands.join('\n'));
    assert.deepEqual(
      [...new Set(commands.map(shape))].filter((c) => !documented.has(c)),
      [],
      `documented:\n${[...documented].join('\n')}`,
    );
  });
});
