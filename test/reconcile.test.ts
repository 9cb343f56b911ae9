// Reconciliation against GitHub's delivery log, end to end: the fake GitHub's App hook really sends
// signed deliveries to a real hookflow (or to a port where nothing listens, as when hookflow is
// down) and keeps GitHub's log of every attempt; `hookflow reconcile` (a real CLI process) runs a
// pass as a workflow on the real Temporal, which lists that log through the one API client, judges
// each GUID against the ledger in PostgreSQL and asks for each missed delivery once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { reconcileScheduleId } from '../activities/reconcile/schedule';
import type { ReconcileArgs, ReconcileSummary } from '../lib/contracts/reconcile';
import { reconcileArgs, runReconcilePass } from '../lib/reconcile-client';
import { apiEnv, startFake } from './helpers/api';
import { cliEnv, runCli } from './helpers/cli';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import type { FakeGitHub, FakeHook } from './fake-github/server';

const DAY = 24 * 3_600_000;
const SPACING_MS = 50;

/** A URL where nothing listens: hookflow is down. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/api/github/webhooks`;
}

const issueEdited = (n: number) => ({
  action: 'edited',
  issue: { number: n },
  repository: { id: 77, full_name: 'acme/api' },
  installation: { id: 42 },
});

/** The value of a sample line of the Prometheus text (exact labels). */
function sample(text: string, line: RegExp): number | undefined {
  const m = new RegExp(`^${line.source} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe("hookflow reconcile: GitHub's delivery log against the ledger", () => {
  let fake: FakeGitHub;
  let h: Harness;
  let hook: FakeHook;
  let down: string;
  const reconcile = async (...args: string[]): Promise<ReconcileSummary> => {
    const run = await runCli(['reconcile', '--json', ...args], cliEnv(h));
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as ReconcileSummary;
  };
  /** How often hookflow asked GitHub to send each GUID again. */
  const askedPerGuid = () => {
    const asked = new Map<string, number>();
    for (const id of hook.attemptRequests) {
      const guid = hook.log.find((e) => String(e.id) === id)!.guid;
      asked.set(guid, (asked.get(guid) ?? 0) + 1);
    }
    return asked;
  };
  const statusOf = async (guid: string) => (await h.store.findDeliveries(guid))[0]?.status;

  before(async () => {
    fake = await startFake({ mutationSpacingMs: SPACING_MS });
    // The installation the deliveries name exists on GitHub (a pass checks it against the API).
    fake.addRepo('acme/api', { id: 77, installation: '42', issues: 0 });
    h = await startHookflow({
      sharedMetrics: true,
      env: apiEnv(fake, { HOOKFLOW_MUTATION_SPACING_MS: String(SPACING_MS) }),
    });
    down = await deadUrl();
    hook = fake.addHook({ kind: 'app' }, { id: '9001', url: h.webhookUrl, secret: 'test-secret' });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  test('30 deliveries sent while hookflow was down are asked for once each and completed; a second pass asks for none', async () => {
    hook.url = down;
    const missed: string[] = [];
    for (let i = 1; i <= 30; i++) {
      const sent = await hook.send('issues', issueEdited(i));
      assert.equal(sent.status, 'failed to connect to host');
      missed.push(sent.guid);
    }
    // Failed while hookflow was down, then redelivered OK by someone (GitHub's "Redeliver"): done.
    const healed = await hook.send('issues', issueEdited(31));
    // Failed four days ago: past GitHub's redelivery window.
    const old = await hook.send('issues', issueEdited(32), { deliveredAt: new Date(Date.now() - 4 * DAY) });

    hook.url = h.webhookUrl;
    assert.equal((await hook.redeliver(healed.id)).status, 'OK');
    // Delivered OK, but its run fails in hookflow (an installation event naming no installation).
    const failing = await hook.send('installation', { action: 'created' });
    assert.equal(failing.status, 'OK');
    await waitFor('the failing delivery to fail', async () => (await statusOf(failing.guid)) === 'failed');
    await waitFor(
      'the redelivered one to complete',
      async () => (await statusOf(healed.guid)) === 'completed',
    );
    for (const guid of missed) assert.equal(await statusOf(guid), undefined, 'hookflow never saw it');

    const first = await reconcile('--since', '5d');
    assert.deepEqual(
      {
        scanned: first.scanned,
        missed: first.missed,
        redelivered: first.redelivered,
        failedInHookflow: first.failedInHookflow,
        unrecoverable: first.unrecoverable,
      },
      { scanned: 33, missed: 30, redelivered: 30, failedInHookflow: 1, unrecoverable: 1 },
    );
    assert.deepEqual(first.sources[0].samples.failedInHookflow, [failing.guid]);
    assert.deepEqual(first.sources[0].samples.unrecoverable, [old.guid]);
    const asked = askedPerGuid();
    assert.deepEqual([...asked.keys()].sort(), [...missed].sort(), 'asked for exactly the missed ones');
    assert.ok(
      [...asked.values()].every((n) => n === 1),
      'each once',
    );
    assert.deepEqual(
      fake.violations.filter((v) => v.kind === 'mutation-spacing'),
      [],
      'requests paced as mutations',
    );

    await fake.hookDeliveriesSettled();
    for (const guid of missed)
      await waitFor(`${guid} to be completed`, async () => (await statusOf(guid)) === 'completed');
    const redeliveries = hook.log.filter((e) => e.redelivery && missed.includes(e.guid));
    assert.equal(redeliveries.length, 30);
    assert.ok(redeliveries.every((e) => e.status === 'OK'));

    const [mark] = (
      await h.store.db.query<{ source: string; t: Date }>(
        'SELECT source, processed_before AS t FROM reconcile_watermarks',
      )
    ).rows;
    assert.equal(mark?.source, 'app');
    assert.ok(
      new Date(mark.t).getTime() > Date.parse(failing.delivered_at),
      'the watermark moved past the pass',
    );

    const second = await reconcile();
    assert.equal(second.missed, 0);
    assert.equal(second.redelivered, 0);
    assert.equal(second.unrecoverable, 0);
    assert.equal(hook.attemptRequests.length, 30, 'nothing asked for again');

    const metrics = await (await fetch(h.metricsUrl)).text();
    assert.equal(sample(metrics, /hookflow_reconcile_missed_total/), 30, metrics);
    assert.equal(sample(metrics, /hookflow_reconcile_redelivered_total/), 30);
    assert.equal(sample(metrics, /hookflow_reconcile_unrecoverable_total\{reason="expired"\}/), 1);
    assert.equal(sample(metrics, /hookflow_reconcile_unrecoverable_total\{reason="gap"\}/), 0);
  });

  test('a redelivery that fails again is reported as still failing, never asked for twice', async () => {
    hook.url = down;
    const lost = await hook.send('issues', issueEdited(40));
    const before = hook.attemptRequests.length;
    const first = await reconcile();
    assert.equal(first.redelivered, 1);
    await fake.hookDeliveriesSettled();
    assert.equal(hook.log.filter((e) => e.guid === lost.guid).length, 2, 'the redelivery failed too');

    const second = await reconcile();
    assert.equal(second.redelivered, 0);
    assert.equal(second.stillFailing, 1);
    assert.equal(hook.attemptRequests.length, before + 1);
    hook.url = h.webhookUrl;
  });

  test('--dry-run asks for nothing and leaves the watermark; the next pass asks', async () => {
    hook.url = down;
    const lost = await hook.send('issues', issueEdited(50));
    hook.url = h.webhookUrl;
    const watermark = async () =>
      (
        await h.store.db.query<{ t: Date }>(`SELECT processed_before AS t FROM reconcile_watermarks`)
      ).rows.map((r) => new Date(r.t).toISOString());
    const before = { asked: hook.attemptRequests.length, watermark: await watermark() };
    const dry = await reconcile('--dry-run');
    assert.equal(dry.dryRun, true);
    assert.equal(dry.missed, 1);
    assert.equal(dry.redelivered, 0);
    assert.equal(hook.attemptRequests.length, before.asked);
    assert.deepEqual(await watermark(), before.watermark);

    const real = await reconcile();
    assert.equal(real.redelivered, 1);
    await fake.hookDeliveriesSettled();
    await waitFor('the missed one to complete', async () => (await statusOf(lost.guid)) === 'completed');
    assert.notDeepEqual(await watermark(), before.watermark);
  });

  test('human output names what to do; bad arguments exit 2', async () => {
    const human = await runCli(['reconcile', '--dry-run'], cliEnv(h));
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /missed by hookflow: +0/);
    assert.match(human.stdout, /failed in hookflow: +1/);
    assert.match(human.stdout, /npx hookflow replay /);

    for (const args of [['--since', 'yesterday'], ['--since', '2999-01-01T00:00:00Z'], ['--bogus']]) {
      const run = await runCli(['reconcile', ...args], cliEnv(h));
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /error: /);
    }
  });

  test('a request cut off by a worker shutdown may have reached GitHub: it counts as asked, and is never asked again', async () => {
    hook.url = down;
    const lost = await hook.send('issues', issueEdited(60));
    hook.url = h.webhookUrl;
    let release = () => {};
    let arrived = () => {};
    const until = new Promise<void>((r) => (release = r));
    const came = new Promise<void>((r) => (arrived = r));
    // GitHub receives the request, and acts on it after the worker that sent it is gone.
    fake.script({ method: 'POST', path: /\/deliveries\/\d+\/attempts$/, times: 1, hold: { until, arrived } });
    const pass = runReconcilePass(h.client, h.taskQueue, reconcileArgs(h.config));
    await came;
    await h.stopWorker();
    release();
    await waitFor('GitHub to act on the request', () => Promise.resolve(askedPerGuid().get(lost.guid) === 1));
    await h.startWorker();
    const summary = await pass;
    assert.equal(summary.redelivered, 0);
    assert.equal(summary.notRedelivered, 1, 'counted as asked, without an answer');
    assert.equal(askedPerGuid().get(lost.guid), 1, 'asked once');
    const { rows } = await h.store.db.query<{ state: string }>(
      `SELECT state FROM reconcile_redeliveries WHERE guid = $1`,
      [lost.guid],
    );
    assert.deepEqual(rows, [{ state: 'unconfirmed' }]);
    await fake.hookDeliveriesSettled();
    await waitFor('the redelivered one to complete', async () => (await statusOf(lost.guid)) === 'completed');
  });

  test("a dead worker's claim is taken again; a claim another pass is sending holds the watermark; gaps and expired GUIDs are counted once", async () => {
    hook.url = down;
    const orphaned = await hook.send('issues', issueEdited(61));
    const sending = await hook.send('issues', issueEdited(62));
    hook.url = h.webhookUrl;
    // Claims as workers leave them: one of a worker that died an hour ago before it asked, one of a
    // pass asking right now.
    await h.store.db.query(
      `INSERT INTO reconcile_redeliveries (source, guid, attempt_id, state, claimed_by, asked_at)
       VALUES ('app', $1, $2, 'sending', 'dead-pass/1', now() - interval '1 hour'),
              ('app', $3, $4, 'sending', 'live-pass/1', now())`,
      [orphaned.guid, String(orphaned.id), sending.guid, String(sending.id)],
    );
    // And no pass ran for five days: a gap, and the expired GUID of the first test listed again.
    const fiveDaysAgo = new Date(Date.now() - 5 * DAY);
    await h.store.db.query(`UPDATE reconcile_watermarks SET processed_before = $1 WHERE source = 'app'`, [
      fiveDaysAgo,
    ]);
    const watermark = async () =>
      (
        await h.store.db.query<{ t: Date }>(`SELECT processed_before AS t FROM reconcile_watermarks`)
      ).rows.map((r) => new Date(r.t).getTime());

    const first = await reconcile();
    const [app] = first.sources;
    assert.equal(app.redelivered, 1, "the dead worker's claim is asked for");
    assert.equal(app.alreadyAsked, 1, 'the claim being sent is counted, not asked');
    assert.equal(app.watermarkAdvanced, false);
    assert.ok(app.gap);
    assert.ok(app.unrecoverable >= 1);
    assert.deepEqual(await watermark(), [fiveDaysAgo.getTime()]);
    assert.equal(askedPerGuid().get(orphaned.guid), 1);
    assert.equal(askedPerGuid().get(sending.guid), undefined);

    const second = await reconcile();
    assert.equal(second.sources[0].alreadyAsked, 1);
    assert.ok(second.sources[0].gap, 'the gap is still there');
    assert.equal(second.redelivered, 0);
    const metrics = await (await fetch(h.metricsUrl)).text();
    assert.equal(
      sample(metrics, /hookflow_reconcile_unrecoverable_total\{reason="gap"\}/),
      1,
      'counted once',
    );
    assert.equal(
      sample(metrics, /hookflow_reconcile_unrecoverable_total\{reason="expired"\}/),
      1,
      'counted once',
    );

    // The other pass got a 5xx and released its claim: since the watermark stayed, a pass asks.
    await h.store.db.query(`DELETE FROM reconcile_redeliveries WHERE guid = $1`, [sending.guid]);
    const third = await reconcile();
    assert.equal(third.redelivered, 1);
    assert.equal(third.sources[0].watermarkAdvanced, true);
    assert.equal(askedPerGuid().get(sending.guid), 1);
    await fake.hookDeliveriesSettled();
    for (const guid of [orphaned.guid, sending.guid])
      await waitFor(`${guid} to complete`, async () => (await statusOf(guid)) === 'completed');
  });

  test('with HOOKFLOW_RECONCILE_REPLAY_FAILED, a delivery that failed in hookflow is replayed once', async () => {
    const failing = await hook.send('installation', { action: 'created' });
    await waitFor('the delivery to fail', async () => (await statusOf(failing.guid)) === 'failed');
    const replaying = async () => {
      const run = await runCli(['reconcile', '--json'], {
        ...cliEnv(h),
        HOOKFLOW_RECONCILE_REPLAY_FAILED: 'true',
      });
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as ReconcileSummary;
    };
    const first = await replaying();
    // The first test's failing delivery is within this pass's overlap too: each is replayed.
    assert.ok(first.sources[0].samples.failedInHookflow.includes(failing.guid));
    assert.equal(first.replayed, first.failedInHookflow);
    // It runs again, and fails again (its cause is still there).
    await waitFor('the replayed run to fail', async () => {
      const [d] = await h.store.findDeliveries(failing.guid);
      return d?.status === 'failed' && d.attempts === 2;
    });
    const second = await replaying();
    assert.ok(second.sources[0].samples.failedInHookflow.includes(failing.guid));
    assert.equal(second.replayed, 0, 'never replayed twice');
    const [d] = await h.store.findDeliveries(failing.guid);
    assert.equal(d?.attempts, 2);
  });
});

describe('a delivery log of many pages', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let hook: FakeHook;
  const pass = (over: Partial<ReconcileArgs> = {}) =>
    runReconcilePass(h.client, h.taskQueue, { ...reconcileArgs(h.config), ...over });
  const listings = () =>
    fake.requests.filter((r) => r.method === 'GET' && r.path === '/app/hook/deliveries').length;
  const watermark = async () =>
    (await h.store.db.query<{ t: Date }>(`SELECT processed_before AS t FROM reconcile_watermarks`)).rows.map(
      (r) => new Date(r.t).getTime(),
    );

  before(async () => {
    fake = await startFake({ mutationSpacingMs: SPACING_MS });
    fake.addRepo('acme/api', { id: 77, installation: '42', issues: 0 });
    h = await startHookflow({ env: apiEnv(fake, { HOOKFLOW_MUTATION_SPACING_MS: String(SPACING_MS) }) });
    hook = fake.addHook({ kind: 'app' }, { id: '9003', url: h.webhookUrl, secret: 'test-secret' });
    fake.deliveriesListing.pageSize = 10;
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  test("is paged through GitHub's Link cursor; a later pass stops at the page that reaches below its floor", async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    hook.url = await deadUrl();
    // The oldest entry, on the last page.
    const missed = await hook.send('issues', issueEdited(1), { deliveredAt: twoHoursAgo });
    hook.url = h.webhookUrl;
    for (let i = 2; i <= 35; i++) await hook.send('issues', issueEdited(i), { deliveredAt: twoHoursAgo });

    let before = listings();
    const first = await pass({ since: new Date(Date.now() - 5 * DAY).toISOString() });
    assert.equal(listings() - before, 4, '35 entries, 10 a page');
    assert.deepEqual([first.scanned, first.missed, first.redelivered], [35, 1, 1]);
    assert.equal(first.sources[0].watermarkAdvanced, true);
    await fake.hookDeliveriesSettled();
    await waitFor('the missed one to complete', async () => {
      const [d] = await h.store.findDeliveries(missed.guid);
      return d?.status === 'completed';
    });

    // 25 new deliveries and the redelivery: two pages and a third that reaches below the floor.
    for (let i = 36; i <= 60; i++) await hook.send('issues', issueEdited(i));
    before = listings();
    const second = await pass();
    assert.equal(listings() - before, 3);
    assert.deepEqual([second.scanned, second.missed], [26, 0]);
    assert.equal(second.sources[0].watermarkAdvanced, true);
  });

  test('a next page already listed, empty pages that name a next one, and the page cap end the listing; the watermark stays', async () => {
    const mark = await watermark();
    const cases: [string, () => Promise<ReconcileSummary>, number][] = [
      ['repeat-cursor', () => pass(), 2],
      ['empty-pages', () => pass(), 1],
      [
        'page cap',
        () => pass({ maxPagesPerScan: 2, since: new Date(Date.now() - 5 * DAY).toISOString() }),
        2,
      ],
    ];
    for (const [fault, run, pages] of cases) {
      fake.deliveriesListing.fault =
        fault === 'page cap' ? undefined : (fault as 'repeat-cursor' | 'empty-pages');
      const before = listings();
      const summary = await run();
      assert.equal(listings() - before, pages, fault);
      assert.equal(summary.sources[0].truncated, true, fault);
      assert.equal(summary.sources[0].watermarkAdvanced, false, fault);
      assert.deepEqual(await watermark(), mark, fault);
    }
    fake.deliveriesListing.fault = undefined;
    const healed = await pass();
    assert.equal(healed.sources[0].truncated, false);
    assert.equal(healed.sources[0].watermarkAdvanced, true);
  });
});

describe('the reconciliation schedule', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ env: apiEnv(fake, { HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '1' }) });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  test('workers create it, bring it to the configured interval, and delete it at 0; its passes run', async () => {
    const handle = h.client.schedule.getHandle(reconcileScheduleId(h.taskQueue));
    let described = await handle.describe();
    const every = () => described.spec.intervals?.map((i) => i.every);
    assert.deepEqual(every(), [60_000]);
    assert.equal(described.action.type, 'startWorkflow');
    assert.equal(described.action.workflowType, 'reconcileDeliveries');
    assert.equal(described.action.taskQueue, h.taskQueue);
    assert.equal(described.policies.overlap, 'SKIP');

    // A pass the schedule starts runs on this hookflow's worker (the App's hook has an empty log).
    fake.addHook({ kind: 'app' }, { id: '9002', url: h.webhookUrl, secret: 'test-secret' });
    await handle.trigger();
    await waitFor('a scheduled pass to complete', async () => {
      const { count } = await h.client.workflow.count(
        `WorkflowType = "reconcileDeliveries" AND TaskQueue = "${h.taskQueue}" AND ExecutionStatus = "Completed"`,
      );
      return count > 0;
    });

    await h.stopWorker();
    h.config.api.reconcileIntervalMinutes = 5;
    await h.startWorker();
    described = await handle.describe();
    assert.deepEqual(every(), [300_000]);

    await h.stopWorker();
    h.config.api.reconcileIntervalMinutes = 0;
    await h.startWorker();
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
  });
});

describe("a repository's hook (token mode)", () => {
  let fake: FakeGitHub;
  let h: Harness;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-reconcile-'));
  before(async () => {
    fake = await startFake({ staticTokens: { ghp_repo_token_for_tests: 'pat:repo' } });
    const sourcesFile = path.join(dir, 'sources.json');
    writeFileSync(
      sourcesFile,
      JSON.stringify({
        hooks: [
          { hookId: '77', secrets: ['hook-secret'], repository: 'acme/api' },
          // A hook the token cannot read: GitHub answers 404.
          { hookId: '78', secrets: ['other-secret'], repository: 'acme/secret' },
        ],
      }),
    );
    h = await startHookflow({
      env: {
        GITHUB_TOKEN: 'ghp_repo_token_for_tests',
        GITHUB_API_URL: fake.url,
        HOOKFLOW_SOURCES_FILE: sourcesFile,
        HOOKFLOW_MUTATION_SPACING_MS: String(SPACING_MS),
        HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0',
      },
    });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("its log is listed with the token and what it missed is asked for; the App's hook is not listed; a hook it cannot list is reported, the others reconciled", async () => {
    const hook = fake.addHook(
      { kind: 'repository', repository: 'acme/api' },
      { id: '77', url: await deadUrl(), secret: 'hook-secret' },
    );
    // A repository hook's deliveries name no installation.
    const payload = (n: number) => ({
      action: 'edited',
      issue: { number: n },
      repository: { id: 77, full_name: 'acme/api' },
    });
    const missed = [
      (await hook.send('issues', payload(1))).guid,
      (await hook.send('issues', payload(2))).guid,
    ];
    hook.url = h.webhookUrl;
    assert.equal((await hook.send('issues', payload(3))).status, 'OK');

    const run = await runCli(['reconcile', '--json'], cliEnv(h));
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /the delivery log of hook:78 could not be listed; the other hooks were reconciled/,
    );
    const summary = JSON.parse(run.stdout) as ReconcileSummary;
    assert.deepEqual(
      summary.sources.map((s) => [s.source, s.scanned, s.missed, s.redelivered]),
      [['hook:77', 3, 2, 2]],
    );
    assert.deepEqual(
      summary.failedSources.map((f) => f.source),
      ['hook:78'],
    );
    assert.match(summary.failedSources[0].error, /404/);
    const human = await runCli(['reconcile'], cliEnv(h));
    assert.equal(human.code, 1);
    assert.match(human.stdout, /hook:78: its delivery log could not be listed: .*404/);
    const listed = fake.requests.filter((r) => r.path.includes('/deliveries'));
    assert.ok(listed.length > 0 && listed.every((r) => r.credential === 'pat:repo'));
    assert.ok(listed.some((r) => r.path === '/repos/acme/api/hooks/77/deliveries'));
    await fake.hookDeliveriesSettled();
    for (const guid of missed)
      await waitFor(`${guid} to complete`, async () => {
        const [d] = await h.store.findDeliveries(guid);
        return d?.status === 'completed' && d.workflowId === `github:77:${guid}`;
      });
  });
});

describe('without a hook to list', () => {
  test('hookflow reconcile says what to configure, and fails', async () => {
    const h = await startHookflow();
    try {
      const run = await runCli(['reconcile'], cliEnv(h));
      assert.equal(run.code, 1);
      assert.match(run.stderr, /no hook to reconcile: .*APP_ID and PRIVATE_KEY.*GITHUB_TOKEN/);
    } finally {
      await h.close();
    }
  });
});
