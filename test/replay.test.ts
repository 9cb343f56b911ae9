// Determinism: the histories of real runs (a sync that was queried and continued as new, and
// delivery workflows), recorded with tracing on, replay against the current workflow bundle — with
// Temporal's OpenTelemetry workflow interceptors in it — without a nondeterminism error, and a
// replay exports no span again. The sync is queried while it runs: queries are those interceptors'
// known hazard (sdk-typescript#2023: random values drawn after a query differ on replay), harmless
// here only as long as no workflow draws random values for its commands, which this test would catch
// the day one does.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import { progressQuery } from '../workflows/sync-repository';
import { issueOpened } from './helpers/api';
import { testEnv, waitFor } from './helpers/env';
import { sdkErrors } from './helpers/harness';
import { workflowSinks } from '../worker/create-worker';
import { startTracedHookflow, type TracedHookflow } from './helpers/tracing';
import { dataConverterFor } from '../lib/temporal/data-converter';

test("histories recorded by earlier workflow code replay with today's", async () => {
  // Written by test/fixtures/record-histories.ts with the workflow code bundled without the
  // interceptors (a delivery with the write-back and a queried sync continued as new), and by
  // record-patched-delivery.ts: a delivery whose patches each recorded their own marker.
  const dir = path.join(__dirname, 'fixtures', 'histories');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(
    files.some((f) => f.startsWith('onIssues')) &&
      files.filter((f) => f.startsWith('syncRepository')).length >= 2,
  );
  const histories = files.map((f) => ({
    workflowId: f,
    history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))),
  }));
  const results = [];
  for await (const r of Worker.runReplayHistories(
    {
      workflowBundle: { codePath: testEnv.workflowBundle },
      replayName: 'hookflow-fixture-replay',
      sinks: workflowSinks(undefined),
    },
    histories,
  )) {
    results.push(r);
  }
  assert.equal(results.length, files.length);
  assert.deepEqual(
    results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`),
    [],
  );
});

describe('replaying recorded histories', () => {
  let t: TracedHookflow;
  before(async () => {
    t = await startTracedHookflow({
      fake: { latencyMs: 5 },
      env: { HOOKFLOW_WELCOME_LABEL: 'triage', HOOKFLOW_WELCOME_COMMENT: 'Hi' },
      repo: ['octo/replay', { id: 501, installation: '5001', issues: 350, commentsPerIssue: 1 }],
    });
  });
  after(() => t.close());

  test('sync runs (queried, continued as new) and delivery workflows replay cleanly', async () => {
    const handle = await startSyncJob(t.h.client, t.h.taskQueue, {
      ...syncArgs(t.h.config, 'octo/replay', '5001'),
      pagesPerRun: 3,
      pagesPerActivity: 2,
    });
    for (let i = 0; i < 5; i++) await handle.query(progressQuery);
    await handle.result();
    const answer = await t.h.post(issueOpened(t.fake, 'octo/replay', 1, 5001));
    await t.h.waitForOutcome(String(answer.body.workflowId), 'completed');
    // Closed, so its last workflow task is in the history too (the ledger is written inside it).
    const delivery = t.h.client.workflow.getHandle(String(answer.body.workflowId));
    await delivery.result();
    // A new delivery run records one patch marker for all its patches, so one upsert of
    // TemporalChangeVersion: each marker the SDK records costs the server a visibility write.
    const { events } = await delivery.fetchHistory();
    const patchIds = (events ?? [])
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((e) => {
        const data = e.markerRecordedEventAttributes!.details!['patch-data'].payloads![0].data!;
        return (JSON.parse(Buffer.from(data).toString()) as { id: string }).id;
      });
    assert.deepEqual(patchIds, ['delivery-patches-1']);
    assert.equal((events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length, 1);

    const query = `TaskQueue = "${t.h.taskQueue}"`;
    const runs = await waitFor('the runs to be listed', async () => {
      let n = 0;
      for await (const w of t.h.client.workflow.list({ query }))
        if (w.status.name === 'COMPLETED' || w.status.name === 'CONTINUED_AS_NEW') n++;
      return n >= 4 ? n : undefined;
    });
    await t.tracing.flush();
    assert.ok(
      t.exporter.getFinishedSpans().some((s) => s.name === 'RunWorkflow:syncRepository'),
      'the runs were traced',
    );
    const spansBefore = t.exporter.getFinishedSpans().length;
    const results = [];
    for await (const r of Worker.runReplayHistories(
      {
        workflowBundle: { codePath: testEnv.workflowBundle },
        replayName: 'hookflow-replay-test',
        sinks: workflowSinks(t.tracing),
        // The histories' payloads are encrypted, as the workers wrote them.
        dataConverter: dataConverterFor(t.h.config),
      },
      t.h.client.workflow.list({ query }).intoHistories(),
    )) {
      results.push(r);
    }
    assert.ok(results.length >= runs, `${results.length} histories replayed`);
    assert.deepEqual(
      results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`),
      [],
    );
    assert.deepEqual(sdkErrors, [], 'the SDK logged no errors (an unregistered sink, say)');
    await t.tracing.flush();
    assert.equal(t.exporter.getFinishedSpans().length, spansBefore, 'a replay exports no spans again');

    // A worker that does not trace runs the bundle without the interceptors: it replays them too.
    const untraced = [];
    for await (const r of Worker.runReplayHistories(
      {
        workflowBundle: { codePath: testEnv.untracedWorkflowBundle },
        replayName: 'hookflow-replay-untraced',
        sinks: workflowSinks(undefined),
        dataConverter: dataConverterFor(t.h.config),
      },
      t.h.client.workflow.list({ query }).intoHistories(),
    )) {
      untraced.push(r);
    }
    assert.equal(untraced.length, results.length);
    assert.deepEqual(
      untraced.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`),
      [],
    );
  });
});
