// Dead letters: a delivery whose workflow start Temporal answers and refuses (here: a namespace that
// does not exist) is retried from the outbox a bounded number of times, then given up as `dead`:
// kept in the ledger with Temporal's answer, counted, listed, and replayable once the cause is fixed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { replayDelivery } from '../lib/replay';
import { githubDelivery } from './helpers/deliveries';
import { testEnv, waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

describe('dead letters', () => {
  let h: Harness;
  before(async () => {
    h = await startHookflow({
      worker: false,
      env: {
        TEMPORAL_NAMESPACE: 'hookflow-no-such-namespace',
        HOOKFLOW_DEAD_LETTER_AFTER: '3',
        HOOKFLOW_OUTBOX_INTERVAL_MS: '20',
      },
    });
  });
  after(async () => {
    await h.close();
  });

  test('a start Temporal keeps refusing becomes dead after the configured attempts, and can be replayed', async () => {
    const d = githubDelivery({
      event: 'issues',
      payload: { action: 'opened', issue: { number: 5 }, repository: { full_name: 'acme/api' } },
    });
    const answer = await h.post(d);
    assert.equal(answer.status, 202);
    // Acknowledged once recorded; the start that follows is refused, and the delivery is parked.
    assert.equal(answer.body.status, 'accepted');
    const key = String(answer.body.workflowId);

    await h.waitForOutcome(key, 'dead');
    const entry = await h.store.getDelivery(key);
    assert.match(String(entry?.reason), /hookflow-no-such-namespace/, 'the reason is what Temporal answered');
    assert.equal(await h.store.outboxDepth(), 0, 'out of the outbox');
    const [listed] = await h.store.listDeliveries({ status: 'dead', limit: 10 });
    assert.equal(listed?.workflowId, key);
    const metrics = await (await fetch(h.metricsUrl)).text();
    assert.match(metrics, /^hookflow_dead_letters_total 1$/m);

    // The cause fixed (the right namespace): the dead delivery is replayed from its stored payload.
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    try {
      const client = new Client({ connection, namespace: testEnv.namespace });
      const replayed = await replayDelivery({ client, taskQueue: h.taskQueue, store: h.store }, listed, {
        force: false,
      });
      assert.equal(replayed.previousStatus, 'dead');
      const run = await client.workflow.getHandle(key, replayed.runId).describe();
      assert.equal(run.status.name, 'RUNNING');
      await waitFor('the ledger to say the delivery runs again', async () => {
        const [d2] = await h.store.findDeliveries(key);
        return d2?.status === 'accepted' && d2.runId === replayed.runId;
      });
      await client.workflow.getHandle(key).terminate('test over: no worker serves this task queue');
    } finally {
      await connection.close();
    }
  });
});
