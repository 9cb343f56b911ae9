// Sync jobs across real worker processes (worker/main.ts): two workers syncing two installations at
// once keep every rule of the provider's limits, and a worker killed mid-backfill loses nothing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { freePort } from '../lib/net';
import { countRows } from '../lib/storage/repo-data';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import type { SyncProgress } from '../lib/contracts/sync-progress';
import { progressQuery } from '../workflows/sync-repository';
import { apiEnv, issueOpened, startFake } from './helpers/api';
import { waitFor } from './helpers/env';
import { startHookflow } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

describe('sync jobs on worker processes', () => {
  const children: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    for (const close of closers.reverse()) await close();
  });

  test('two workers, two installations at once: no overlapping requests, spaced mutations, no violations', async () => {
    const fake = await startFake({ latencyMs: 5, limit: 120, windowMs: 2_000 });
    closers.push(() => fake.close());
    fake.addRepo('octo/a', { id: 101, installation: '1001', issues: 250, pulls: 60, commentsPerIssue: 1 });
    fake.addRepo('octo/a2', { id: 102, installation: '1001', issues: 150 });
    fake.addRepo('octo/b', { id: 103, installation: '1002', issues: 250, commentsPerIssue: 1 });
    const env = apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage', HOOKFLOW_WELCOME_COMMENT: 'Welcome!' });
    const h = await startHookflow({ worker: false, env });
    closers.push(() => h.close());
    for (const [id, repo, rid] of [
      ['1001', 'octo/a', 101],
      ['1002', 'octo/b', 103],
    ] as const) {
      await h.store.registerInstallation(
        { provider: 'github', installationId: id, source: 'github', account: 'octo' },
        [{ id: rid, fullName: repo }],
      );
    }
    const metricsPorts = [await freePort(), await freePort()];
    children.push(
      ...metricsPorts.map((port) => spawnWorker(h, { ...env, HOOKFLOW_WORKER_METRICS_PORT: String(port) })),
    );

    const jobs = await Promise.all(
      ['octo/a', 'octo/a2', 'octo/b'].map((r) =>
        startSyncJob(h.client, h.taskQueue, syncArgs(h.config, r, r === 'octo/b' ? '1002' : '1001')),
      ),
    );
    const keys: string[] = [];
    for (const [repo, inst, n] of [
      ['octo/a', 1001, 1],
      ['octo/a', 1001, 2],
      ['octo/b', 1002, 1],
      ['octo/b', 1002, 2],
    ] as const) {
      const answer = await h.post(issueOpened(fake, repo, n, inst));
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      keys.push(String(answer.body.workflowId));
    }
    const results = (await Promise.all(jobs.map((j) => j.result()))) as SyncProgress[];
    for (const key of keys) await h.waitForOutcome(key, 'completed', 60_000);

    assert.deepEqual(
      results.map((r) => [r.issues, r.pulls]),
      [
        [250, 60],
        [150, 0],
        [250, 0],
      ],
    );
    // The welcome comments posted meanwhile may be in the listing too.
    for (const r of [results[0], results[2]])
      assert.ok(r.comments >= 250 && r.comments <= 252, `${r.comments} comments`);
    assert.deepEqual(fake.violations, []);
    assert.equal(fake.requests.filter((r) => r.status === 403).length, 0);
    for (const cred of ['installation:1001', 'installation:1002']) {
      const mine = fake.requests.filter((r) => r.credential === cred).sort((x, y) => x.start - y.start);
      for (let i = 1; i < mine.length; i++)
        assert.ok(mine[i].start >= mine[i - 1].end, `${cred}: requests overlapped`);
      const posts = mine.filter((r) => r.method === 'POST').map((r) => r.start);
      assert.equal(posts.length, 4);
      for (let i = 1; i < posts.length; i++)
        assert.ok(posts[i] - posts[i - 1] >= 1_000, `${cred}: mutations too close`);
    }
    const identities = new Set<string>();
    for (const j of jobs) {
      for (const e of (await h.client.workflow.getHandle(j.workflowId).fetchHistory()).events ?? []) {
        if (e.activityTaskStartedEventAttributes?.identity)
          identities.add(e.activityTaskStartedEventAttributes.identity);
      }
    }
    // Which of the two takes which task is Temporal's choice; that only they ran the work is known
    // (a worker's default identity is `<pid>@<host>`).
    const workerPids = new Set(children.map((c) => String(c.pid)));
    assert.ok(identities.size > 0);
    for (const identity of identities)
      assert.ok(
        workerPids.has(identity.split('@')[0]),
        `an activity ran on ${identity}, not a worker of this test`,
      );
    // Each worker process's own /metrics counts the API calls it made. Which worker made which call
    // is Temporal's choice, so only the sum over both is known: every issues page the fake served.
    const pages = await Promise.all(
      metricsPorts.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
    );
    const issuePageCalls = pages
      .map((metrics) => {
        const m =
          /^hookflow_api_requests_total\{route="\/repos\/\{owner\}\/\{repo\}\/issues",method="GET",status_class="2xx"\} (\d+)$/m.exec(
            metrics,
          );
        return m ? Number(m[1]) : 0;
      })
      .reduce((a, b) => a + b, 0);
    const served = fake.requests.filter(
      (r) => r.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/issues$/.test(r.path) && r.status === 200,
    ).length;
    assert.ok(served > 0);
    assert.equal(issuePageCalls, served);
    for (const metrics of pages) {
      // The syncs are done: none running, three completed (by the two workers together).
      assert.match(metrics, /^hookflow_sync_jobs_running 0$/m);
      // The Temporal SDK's own worker metrics are on the same page.
      assert.match(metrics, /^temporal_worker_task_slots_available\{/m);
    }
  });

  test('a worker killed mid-backfill: the next resumes at its checkpoint, no page re-fetched, nothing lost or doubled', async () => {
    const fake = await startFake({ latencyMs: 40 });
    closers.push(() => fake.close());
    fake.addRepo('octo/kill', { id: 201, installation: '2001', issues: 3000, commentsPerIssue: 0 });
    const env = apiEnv(fake, { HOOKFLOW_API_TIMEOUT_MS: '1000', HOOKFLOW_INLINE_WAIT_MS: '500' });
    const h = await startHookflow({ worker: false, env });
    closers.push(() => h.close());
    const first = spawnWorker(h, env);
    children.push(first);
    const job = await startSyncJob(h.client, h.taskQueue, syncArgs(h.config, 'octo/kill', '2001'));
    // A query times out while the worker process is still starting (bundling its workflows): not yet.
    await waitFor(
      'a few pages',
      async () => ((await job.query(progressQuery).catch(() => undefined))?.pages ?? 0) >= 4,
      60_000,
      50,
    );
    first.kill('SIGKILL');
    await exited(first);
    const atKill = (await countRows(h.store.db, 'github', 'octo/kill')).repo_issues;
    assert.ok(atKill < 3000, `killed mid-backfill (${atKill} stored)`);

    children.push(spawnWorker(h, env));
    const done = (await job.result()) as SyncProgress;
    assert.equal(done.issues, 3000);
    assert.equal((await countRows(h.store.db, 'github', 'octo/kill')).repo_issues, 3000);
    const pages = fake.requests
      .filter((r) => r.path === '/repos/octo/kill/issues' && r.status === 200)
      .map((r) => r.url);
    const refetched = pages.length - new Set(pages).size;
    assert.ok(refetched <= 1, `${refetched} pages fetched again (only the one in flight at the kill may be)`);
  });
});
