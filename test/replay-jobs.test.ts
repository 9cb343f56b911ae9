// Bulk replay (`hookflow replay --status failed … --yes`): a Temporal workflow per job over a
// selection frozen when the job starts, no faster than its rate, each delivery replayed at most once,
// cancellable, its progress a query. Real CLI processes, real Temporal, real PostgreSQL, the fake
// GitHub answering 422 until the cause is removed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReplayJobActivities } from '../activities/replay-job-activities';
import { createLogger } from '../lib/logger';
import { replayDelivery } from '../lib/replay';
import type { ReplayJobProgress } from '../lib/contracts/replay-job';
import { replayJobWorkflowId } from '../lib/contracts/replay-job';
import { newReplayJobId, startReplayJob } from '../lib/replay-job-client';
import type { DeliverySummary } from '../lib/storage/delivery-listing';
import { replayProgressQuery } from '../workflows/replay-deliveries';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, issueOpened, startFake } from './helpers/api';
import { cliEnv, runCli } from './helpers/cli';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { historyCodec } from '../lib/temporal/data-converter';

// Four repositories of four installations, so the first runs (each one API call) go in parallel.
const REPOS = [0, 1, 2, 3].map((i) => ({ name: `octo/bulk-${i}`, installation: 7001 + i }));

describe('bulk replay', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let env: Record<string, string | undefined>;

  before(async () => {
    fake = await startFake({ contentPerMinute: 100_000 });
    h = await startHookflow({
      sharedMetrics: true,
      env: apiEnv(fake, {
        HOOKFLOW_WELCOME_LABEL: 'triage',
        HOOKFLOW_MUTATION_SPACING_MS: '0',
        HOOKFLOW_CONTENT_PER_MINUTE: '10000',
        HOOKFLOW_CONTENT_PER_HOUR: '100000',
      }),
    });
    for (const r of REPOS)
      await installRepo(h, fake, r.name, {
        id: r.installation,
        installation: String(r.installation),
        issues: 25,
      });
    env = cliEnv(h);
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  const hookflow = async <T>(...args: string[]): Promise<{ code: number | null; out: T; stderr: string }> => {
    const r = await runCli(args, env);
    let out: T;
    try {
      out = JSON.parse(r.stdout) as T;
    } catch {
      assert.fail(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, out, stderr: r.stderr };
  };

  /** Waits until Temporal has closed this many failed runs matching `where` (the ledger knows a moment earlier). */
  const failedRuns = (where: string, n: number) =>
    waitFor(
      `${n} failed runs (${where})`,
      async () => {
        const { count } = await h.client.workflow.count(`${where} AND ExecutionStatus = "Failed"`);
        return count === n;
      },
      180_000,
    );
  /** The runs of these deliveries only: a window of time would also catch an earlier test's replays. */
  const ofDeliveries = (keys: string[]) => `WorkflowId IN (${keys.map((k) => `"${k}"`).join(', ')})`;

  test('100 failed deliveries, the cause removed, one job: all complete, each once, at the rate asked', async () => {
    fake.script({
      method: 'POST',
      path: /\/labels$/,
      times: 100,
      status: 422,
      body: { message: 'Validation Failed' },
    });
    const since = new Date(Date.now() - 1_000).toISOString();
    for (let n = 1; n <= 25; n += 5) {
      const batch = REPOS.flatMap((r) =>
        [0, 1, 2, 3, 4].map((i) => issueOpened(fake, r.name, n + i, r.installation)),
      );
      const answers = await Promise.all(batch.map((d) => h.post(d)));
      for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.body));
    }
    const ours = `HookflowEvent = "issues" AND StartTime >= "${since}" AND TaskQueue = "${h.taskQueue}"`;
    await failedRuns(ours, 100); // The 422s are used up: the cause is gone.
    const filter = ['--status', 'failed', '--event', 'issues', '--since', since];

    const dry = await hookflow<{ matched: number; sample: DeliverySummary[] }>(
      'replay',
      ...filter,
      '--dry-run',
      '--json',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.out.matched, 100);
    assert.equal(dry.out.sample.length, 10);
    const times = dry.out.sample.map((d) => d.receivedAt);
    assert.deepEqual(times, [...times].sort(), 'the sample is in replay order, oldest first');
    assert.equal(
      (await h.client.workflow.count(`${ours} AND ExecutionStatus = "Running"`)).count,
      0,
      'a dry run starts nothing',
    );

    const rps = 50;
    const run = await hookflow<ReplayJobProgress>(
      'replay',
      ...filter,
      '--yes',
      '--rps',
      String(rps),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const job = run.out;
    assert.deepEqual(
      [
        job.state,
        job.matched,
        job.processed,
        job.replayed,
        job.refused,
        job.succeeded,
        job.failed,
        job.running,
      ],
      ['done', dry.out.matched, 100, 100, 0, 100, 0, 0],
      JSON.stringify(job),
    );

    // Its runs carry the job: 100 runs of 100 different deliveries, started no faster than the rate.
    const starts = await waitFor('the job runs to be listed', async () => {
      const runs: { id: string; start: number }[] = [];
      for await (const w of h.client.workflow.list({ query: `HookflowReplayJob = "${job.job}"` }))
        runs.push({ id: w.workflowId, start: w.startTime.getTime() });
      return runs.length === 100 ? runs : undefined;
    });
    assert.equal(new Set(starts.map((s) => s.id)).size, 100, 'no delivery replayed twice');
    const sorted = starts.map((s) => s.start).sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((t, i) => t - sorted[i]);
    assert.ok(
      Math.min(...gaps) >= 1_000 / rps - 1,
      `starts at most ${rps}/s: smallest gap ${Math.min(...gaps)} ms`,
    );
    const all = await h.store.listDeliveries({ event: 'issues', since: new Date(since), limit: 200 });
    assert.equal(all.length, 100);
    assert.deepEqual(
      [...new Set(all.map((d) => `${d.status} after ${d.attempts} runs`))],
      ['completed after 2 runs'],
    );
    const run0 = await h.client.workflow.getHandle(starts[0].id).describe();
    assert.equal(run0.memo?.hookflowReplayJob, job.job, 'a run shows the job it came from');
    assert.ok(typeof run0.memo?.hookflowReplayOf === 'string', 'and the run it replays');

    const metrics = await (await fetch(h.metricsUrl)).text();
    assert.match(metrics, /^hookflow_replays_total\{result="started"\} 100$/m);
    assert.match(metrics, /^hookflow_replays_total\{result="completed"\} 100$/m);
    assert.match(metrics, /^hookflow_replays_total\{result="failed"\} 0$/m);
  });

  /** An `installation` delivery naming no installation: its workflow fails, and fails again on replay. */
  const postFailing = async () => {
    const a = await h.post(githubDelivery({ event: 'installation', payload: { action: 'created' } }));
    assert.equal(a.status, 202);
    return String(a.body.workflowId);
  };

  /**
   * `n` such deliveries, and a `since` that selects them and no earlier test's: taken before the
   * first is posted, on the clock the ledger's receipt times come from (one machine).
   */
  const postFailingSince = async (n: number) => {
    const since = new Date().toISOString();
    const keys: string[] = [];
    for (let i = 0; i < n; i++) keys.push(await postFailing());
    await failedRuns(ofDeliveries(keys), n);
    return { since, keys };
  };

  /** A job over the failed `installation` deliveries since `since`: 1/s, two per batch, two per run. */
  const startInstallationJob = (job: string, since: string) =>
    startReplayJob(h.client, h.taskQueue, {
      job,
      selection: { status: 'failed', event: 'installation', since },
      max: null,
      rps: 1,
      force: false,
      settleTimeoutMs: 60_000,
      itemsPerRun: 2,
    });

  test('the selection is frozen when the job starts; progress is a query; long jobs continue as new', async () => {
    const { since, keys } = await postFailingSince(3);
    const jobId = newReplayJobId();
    const handle = await startInstallationJob(jobId, since);
    await waitFor('the selection to be frozen', async () => {
      const p = await handle.query(replayProgressQuery).catch(() => undefined);
      return p !== undefined && p.state !== 'selecting';
    });
    // A delivery that fails after the job started is not swept in.
    const late = await postFailing();
    const final = (await handle.result()) as ReplayJobProgress;
    assert.deepEqual(
      [final.state, final.matched, final.replayed, final.failed, final.succeeded],
      ['done', 3, 3, 3, 0],
      JSON.stringify(final),
    );
    const [lateRow] = await h.store.findDeliveries(late);
    assert.equal(lateRow.attempts, 1, 'the late delivery ran only once');
    for (const key of keys) assert.equal((await h.store.findDeliveries(key))[0].attempts, 2);
    // Two deliveries per batch at 1/s, two per run: the job continued as new after its first batch.
    await waitFor('the job to have continued as new', async () => {
      const runs = await h.client.workflow.count(
        `WorkflowId = "${replayJobWorkflowId(jobId)}" AND ExecutionStatus = "ContinuedAsNew"`,
      );
      return runs.count >= 1;
    });
    assert.deepEqual(await handle.query(replayProgressQuery), final, 'a closed job still answers its query');

    // The UI shows what each activity did: the job's batches and a delivery run's ledger write (a
    // local activity: its summary is on its marker).
    const summaries = async (workflowId: string, runId?: string) => {
      const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
      // Summaries are payloads: encrypted like the rest, decoded with the harness's key.
      const codec = historyCodec(h.config);
      return Promise.all(
        (history.events ?? [])
          .filter((e) => e.activityTaskScheduledEventAttributes ?? e.markerRecordedEventAttributes)
          .map(async (e) =>
            e.userMetadata?.summary
              ? defaultPayloadConverter.fromPayload<string>((await codec.decode([e.userMetadata.summary]))[0])
              : null,
          ),
      );
    };
    assert.deepEqual(await summaries(replayJobWorkflowId(jobId), handle.firstExecutionRunId), [
      null, // freezing the selection
      'replay 1–2 of 3',
      null, // counting
    ]);
    assert.deepEqual((await summaries(keys[0])).slice(-1), ['ledger: failed']);

    const status = await hookflow<ReplayJobProgress & { workflowStatus: string }>(
      'replay',
      'status',
      jobId,
      '--json',
    );
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.out.workflowStatus, 'completed');
    assert.equal(status.out.replayed, 3);
  });

  test('a cancelled job stops before its next delivery; the runs it started are all it started', async () => {
    const { since } = await postFailingSince(6);
    const started = await hookflow<{ job: string; workflowId: string }>(
      'replay',
      '--status',
      'failed',
      '--event',
      'installation',
      '--since',
      since,
      '--yes',
      '--rps',
      '0.5',
      '--no-wait',
      '--json',
    );
    assert.equal(started.code, 0, started.stderr);
    const { job } = started.out;
    const handle = h.client.workflow.getHandle(started.out.workflowId);
    await waitFor('a first replay', async () => {
      const p = await handle.query(replayProgressQuery).catch(() => undefined);
      return p !== undefined && p.replayed >= 1;
    });
    const cancelled = await hookflow<ReplayJobProgress>('replay', 'cancel', job, '--json');
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.out.state, 'cancelled');
    assert.ok(cancelled.out.processed < 6, JSON.stringify(cancelled.out));
    const closed = await handle.describe();
    assert.equal(closed.status.name, 'CANCELLED');
    // Nothing started after the job closed, and the deliveries it did not reach are untouched.
    const starts = await waitFor('the job runs to be listed', async () => {
      const runs: number[] = [];
      for await (const w of h.client.workflow.list({ query: `HookflowReplayJob = "${job}"` }))
        runs.push(w.startTime.getTime());
      return runs.length === cancelled.out.replayed ? runs : undefined;
    });
    for (const t of starts) assert.ok(t <= closed.closeTime!.getTime());
    const { rows } = await h.store.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM replay_job_items WHERE job = $1 AND state = 'pending'`,
      [job],
    );
    assert.equal(Number(rows[0].n), 6 - cancelled.out.processed);
    assert.equal(cancelled.out.processed, cancelled.out.replayed + cancelled.out.refused);
    const again = await runCli(['replay', 'cancel', job], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not running \(cancelled\)/);
  });

  test('a job that continues as new stops on cancel too', async () => {
    const { since } = await postFailingSince(6);
    // Two deliveries per batch at 1/s and two per run: the first batch ends in a continue-as-new.
    const handle = await startInstallationJob(newReplayJobId(), since);
    await waitFor('a first replay', async () => {
      const p = await handle.query(replayProgressQuery).catch(() => undefined);
      return p !== undefined && p.replayed >= 1;
    });
    await handle.cancel();
    await assert.rejects(handle.result());
    const final = await handle.query(replayProgressQuery);
    assert.equal(final.state, 'cancelled', JSON.stringify(final));
    assert.ok(final.processed < 6, JSON.stringify(final));
  });

  test('a batch retried after a lost attempt adopts the run that attempt started, and starts no other', async () => {
    const {
      since,
      keys: [key],
    } = await postFailingSince(1);
    const job = newReplayJobId();
    assert.equal(
      await h.store.freezeReplaySelection(job, { status: 'failed', event: 'installation', since }, null),
      1,
    );
    // The lost attempt: it marked the delivery as starting, started its run, and died before
    // recording it; the run has failed again since, so the ledger would let a second one start.
    await h.store.recordReplayJobItem(job, 1, { state: 'starting' });
    const [delivery] = await h.store.findDeliveries(key);
    const lost = await replayDelivery(
      { client: h.client, taskQueue: h.taskQueue, store: h.store },
      delivery,
      {
        force: false,
        job,
      },
    );
    await failedRuns(`WorkflowId = "${key}"`, 2);

    const activities = createReplayJobActivities({
      store: h.store,
      logger: createLogger('silent'),
      metrics: undefined,
      temporal: { client: h.client, taskQueue: h.taskQueue },
    });
    const batch = { job, from: 1, to: 1, force: false, intervalMs: 1, lastStartAt: null };
    await new MockActivityEnvironment().run(() => activities.replayJobBatch(batch));
    assert.deepEqual(await h.store.replayJobItem(job, 1), {
      deliveryKey: key,
      state: 'replayed',
      runId: lost.runId,
      reason: null,
    });
    assert.equal((await h.client.workflow.count(`WorkflowId = "${key}"`)).count, 2, 'no third run');
    assert.equal((await h.store.replayJobCounts(job, 20)).failed, 1, 'counted by the ledger outcome');
  });

  test('argument errors exit 2 with the reason; an unknown job is an error', async () => {
    const cases: [string[], RegExp][] = [
      [['replay', '--status', 'failed'], /exactly one of --dry-run .* and --yes/],
      [['replay', '--status', 'failed', '--dry-run', '--yes'], /exactly one of --dry-run/],
      [['replay', '--yes'], /needs --status/],
      [['replay', 'abc', '--status', 'failed', '--yes'], /either one delivery ID or bulk options/],
      [['replay', 'abc', '--rps', '2'], /either one delivery ID or bulk options/],
      [['replay', '--status', 'failed', '--yes', '--rps', '500'], /from 0.1 to 100/],
      [['replay', '--status', 'failed', '--yes', '--max', '0'], /whole number/],
      [['replay', '--status', 'failed', '--yes', '--settle', 'soon'], /duration such as 30s/],
      [['replay', 'status', 'no such job'], /replay job ID/],
    ];
    for (const [args, reason] of cases) {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason, args.join(' '));
    }
    const unknown = await runCli(['replay', 'status', 'nope-1'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no replay job nope-1/);
  });
});
