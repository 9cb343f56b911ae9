// The start queue behind the acknowledgement, and the outbox relay's concurrent lanes, with stand-ins
// for Temporal and the store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeliveryRef } from '../../lib/contracts/delivery-ref';
import { createLogger } from '../../lib/logger';
import type { Store } from '../../lib/storage';
import type { OutboxItem } from '../../lib/storage/outbox';
import { startLauncher } from '../../server/launcher';
import { startOutboxRelay } from '../../server/outbox-relay';
import type { WorkflowStarter } from '../../server/starter';
import { temporalHealth } from '../../server/temporal-health';

const logger = createLogger('silent', 'test');
const ref = (key: string): DeliveryRef => ({
  key,
  provider: 'github',
  source: 'default',
  hookId: '-',
  deliveryId: key,
  event: 'issues',
  action: 'opened',
  installation: null,
  repository: null,
});

/** Starts that wait until released, all at once. */
function heldStarter() {
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const starter: WorkflowStarter = {
    async start(r) {
      await gate;
      started.push(r.key);
      return { kind: 'started', workflowId: r.key, runId: `run-${r.key}` };
    },
    ping: () => Promise.resolve(),
    drain: () => Promise.resolve(),
    path: () => 'javascript',
  };
  return { starter, started, release };
}

describe('the start queue', () => {
  test('holds at most its bound: past it, launch says no (the front door parks the delivery)', async () => {
    const { starter, started, release } = heldStarter();
    const accepted: string[] = [];
    const launcher = startLauncher(
      {
        store: { enqueue: () => Promise.resolve() },
        starter,
        health: temporalHealth(),
        accepted: { add: (key) => void accepted.push(key), flush: () => Promise.resolve() },
        logger,
      },
      1,
      2,
    );
    const job = (key: string) => ({
      ref: ref(key),
      workflowType: 'onIssues',
      describe: { summary: '', details: '' },
      log: logger,
    });
    // One running, two waiting: the fourth does not fit.
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((k) => launcher.launch(job(k))),
      [true, true, true, false],
    );
    assert.equal(launcher.pending(), 3);
    release();
    await launcher.drain();
    assert.deepEqual(started, ['a', 'b', 'c']);
    assert.deepEqual(accepted, ['a', 'b', 'c']);
    assert.equal(launcher.launch(job('e')), true, 'room again once drained');
    await launcher.drain();
  });
});

describe('the outbox relay', () => {
  test('a store failure in one lane ends the pass only once every lane has stopped: nothing starts after stop()', async () => {
    const items: OutboxItem[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({
      ref: ref(key),
      workflowType: 'onIssues',
      rerunFailed: false,
      attempts: 0,
      traceContext: undefined,
      contentType: 'application/json',
      rawBody: null,
      bodyKeyId: null,
      receivedAt: new Date(),
    }));
    let leased = false;
    const started: string[] = [];
    const store = {
      enqueueStranded: () => Promise.resolve(0),
      purgeExpired: () => Promise.resolve(0),
      leaseOutbox: () => Promise.resolve(leased ? [] : ((leased = true), items)),
      async outboxDone(key: string) {
        await new Promise((r) => setTimeout(r, 5));
        if (key === 'a') throw Object.assign(new Error('connection terminated'), { code: '57P01' });
      },
      outboxRetryLater: () => Promise.resolve(),
      deadLetter: () => Promise.resolve(),
    } as unknown as Store;
    const starter: WorkflowStarter = {
      async start(r) {
        await new Promise((res) => setTimeout(res, 5));
        started.push(r.key);
        return { kind: 'started', workflowId: r.key, runId: 'run' };
      },
      ping: () => Promise.resolve(),
      drain: () => Promise.resolve(),
      path: () => 'javascript',
    };
    const relay = startOutboxRelay(
      { store, starter, health: temporalHealth(), logger },
      { intervalMs: 60_000, startTimeoutMs: 1_000, concurrency: 2 },
    );
    await assert.rejects(relay.tick(), /connection terminated/);
    const atStop = started.length;
    await relay.stop();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(started.length, atStop, 'no start after the pass ended');
    assert.ok(atStop < items.length, `the lanes stopped taking items (${atStop} started)`);
  });
});
