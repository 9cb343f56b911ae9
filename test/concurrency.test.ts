// Many deliveries at once: 50 concurrent copies of one delivery (exactly one workflow run, the other
// 49 answered duplicate), 500 copies of one whose run is still going (answered from the ledger, with
// no outage made up), and a burst of new deliveries from 64 connections (every one answered 2xx,
// none lost, every workflow completed) — on both storage paths.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { githubDelivery, githubKeyOf, post, type Answer } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { memoryTracing } from './helpers/tracing';
import { startHookflow, type Harness } from './helpers/harness';

describe('concurrent copies of one delivery', () => {
  const harnesses: Harness[] = [];
  after(() => Promise.all(harnesses.map((h) => h.close())));

  for (const storage of ['postgres', 'embedded'] as const) {
    test(`50 at once → one run, 49 duplicates (${storage} store)`, async () => {
      const h = await startHookflow({ storage });
      harnesses.push(h);
      const d = githubDelivery({
        event: 'issues',
        payload: { action: 'opened', issue: { number: 1 }, repository: { full_name: 'acme/api' } },
      });
      const answers = await Promise.all(Array.from({ length: 50 }, () => h.post(d)));
      const statuses = answers.map((a) => `${a.status} ${String(a.body.status)}`).sort();
      assert.deepEqual(
        Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])),
        { '202 accepted': 1, '200 duplicate': 49 },
      );
      const key = githubKeyOf(d);
      await h.waitForOutcome(key, 'completed');
      const runs = await waitFor('the run to be visible', async () => {
        const found = [];
        for await (const w of h.client.workflow.list({ query: `WorkflowId = "${key}"` })) found.push(w);
        return found.length > 0 ? found : undefined;
      });
      assert.equal(runs.length, 1);
      assert.equal((await h.store.getDelivery(key))?.receiveCount, 50);
    });
  }

  test('500 copies of a delivery whose run is still going are duplicates, and unrelated deliveries are accepted meanwhile', async () => {
    // No worker: the run stays open. Traced, so each workflow start the server makes is a span.
    const { tracing, exporter } = memoryTracing();
    const h = await startHookflow({ worker: false, tracing });
    harnesses.push(h);
    const d = githubDelivery({
      event: 'issues',
      payload: { action: 'opened', issue: { number: 2 }, repository: { full_name: 'acme/api' } },
    });
    const first = await h.post(d);
    assert.equal(first.body.status, 'accepted');
    await h.waitForOutcome(githubKeyOf(d), 'accepted');

    const others = Array.from({ length: 30 }, (_, i) =>
      githubDelivery({
        event: 'issues',
        payload: { action: 'opened', issue: { number: 100 + i }, repository: { full_name: 'acme/api' } },
      }),
    );
    const [copies, unrelated] = await Promise.all([
      Promise.all(Array.from({ length: 500 }, () => post(h.webhookUrl, d))),
      Promise.all(others.map((o) => post(h.webhookUrl, o))),
    ]);
    const tally = (answers: Answer[]) => {
      const counts: Record<string, number> = {};
      for (const a of answers)
        counts[`${a.status} ${String(a.body.status)}`] =
          (counts[`${a.status} ${String(a.body.status)}`] ?? 0) + 1;
      return counts;
    };
    assert.deepEqual(tally(copies), { '200 duplicate': 500 });
    assert.deepEqual(tally(unrelated), { '202 accepted': 30 });
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 200, 'no outage was made up');
    assert.equal(await h.store.outboxDepth(), 0, 'nothing was parked');
    assert.equal((await h.client.workflow.count(`WorkflowId = "${githubKeyOf(d)}"`)).count, 1);
    // Temporal was asked once for the delivery and once for each unrelated one: never for a copy.
    // (Their starts follow their answers: counted once each is marked started in the ledger.)
    for (const o of others) await h.waitForOutcome(githubKeyOf(o), 'accepted');
    await tracing.flush();
    const starts = exporter.getFinishedSpans().filter((s) => s.name === 'StartWorkflow:onIssues');
    assert.equal(starts.length, 1 + others.length);
    await tracing.shutdown();
  });

  for (const storage of ['postgres', 'embedded'] as const) {
    test(`a burst of 300 new deliveries from 64 connections: all answered 2xx, none lost, all completed (${storage} store)`, async () => {
      const h = await startHookflow({ storage });
      harnesses.push(h);
      const deliveries = Array.from({ length: 300 }, (_, i) =>
        githubDelivery({
          event: 'issues',
          payload: { action: 'opened', issue: { number: i + 1 }, repository: { full_name: 'acme/burst' } },
        }),
      );
      const answers: Answer[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < deliveries.length) answers.push(await post(h.webhookUrl, deliveries[next++]));
        }),
      );
      assert.equal(answers.length, 300);
      assert.deepEqual(
        answers.filter((a) => a.status !== 202 || a.body.status !== 'accepted'),
        [],
        'every delivery acknowledged as accepted',
      );
      const keys = deliveries.map(githubKeyOf);
      await waitFor(
        'every workflow to complete',
        async () => {
          const { count } = await h.client.workflow.count(
            `TaskQueue = "${h.taskQueue}" AND ExecutionStatus = "Completed"`,
          );
          return count === keys.length ? true : undefined;
        },
        300_000,
        500,
      );
      for (const key of keys) assert.equal((await h.store.getDelivery(key))?.outcome, 'completed', key);
    });
  }
});
