// Temporal stopped mid-run: deliveries are parked in the outbox and answered 202 queued; once
// Temporal is back, the relay starts every one of them and each completes. Nothing is lost, and a
// parked delivery's workflow is still in the trace of the request that brought it.
// This file runs its own dev server (with a database file, so it can be stopped and restarted on
// the same port), since stopping the run's shared server would break the other files.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../lib/net';
import { startDevServer, type DevServer } from '../lib/temporal/dev-server';
import { githubDelivery } from './helpers/deliveries';
import { testEnv, waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { memoryTracing } from './helpers/tracing';

describe('Temporal outage', () => {
  let server: DevServer | undefined;
  let h: Harness | undefined;
  const { tracing, exporter } = memoryTracing();
  after(async () => {
    await h?.close();
    await server?.stop();
    await tracing.shutdown();
  });

  test('deliveries during the outage are queued, then all run when Temporal is back', async () => {
    const port = await freePort();
    const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hookflow-outage-')), 'temporal.db');
    const start = () =>
      startDevServer({ cli: testEnv.cli, port, namespace: testEnv.namespace, dbFile, stdio: 'quiet' });
    server = await start();
    // Its SQLite keeps a write-ahead log (one flush per commit instead of a journal file per commit).
    assert.ok(existsSync(`${dbFile}-wal`), 'the dev server runs its database file in WAL mode');
    // Eager starts, as `npm start` makes them: through the worker's native connection, which
    // retries on its own while Temporal is away (the start's deadline must hold there too).
    h = await startHookflow({ temporalAddress: server.address, tracing, eager: true });
    const payload = (n: number) => ({
      action: 'opened',
      issue: { number: n },
      repository: { full_name: 'acme/api' },
    });

    const before = await Promise.all(
      Array.from({ length: 5 }, (_, i) => h!.post(githubDelivery({ event: 'issues', payload: payload(i) }))),
    );
    assert.deepEqual(new Set(before.map((a) => a.body.status)), new Set(['accepted']));

    await server.stop();
    const during = [];
    const traceId = randomBytes(16).toString('hex');
    for (let i = 0; i < 20; i++) {
      const d = githubDelivery({ event: 'issues', payload: payload(100 + i) });
      if (i === 0) d.headers.traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
      during.push(await h.post(d));
    }
    // The first was acknowledged before its start found Temporal away (it went to the outbox after
    // the answer); from then on the outage is known, and every delivery is parked in the request.
    assert.deepEqual(
      during.map((a) => `${a.status} ${String(a.body.status)}`),
      during.map((_, i) => (i === 0 ? '202 accepted' : '202 queued')),
    );
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { temporal: string }).temporal, 'unreachable');
    assert.equal(await h.store.outboxDepth(), 20);

    server = await start();
    const all = [...before, ...during].map((a) => String(a.body.workflowId));
    await waitFor(
      'every delivery to complete after the outage',
      async () => {
        const rows = await Promise.all(all.map((key) => h!.store.getDelivery(key)));
        return rows.every((r) => r?.outcome === 'completed');
      },
      90_000,
      250,
    );
    assert.equal(await h.store.outboxDepth(), 0);
    const first = await h.client.workflow.getHandle(String(before[0].body.workflowId)).fetchHistory();
    assert.equal(
      first.events?.[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted,
      true,
      'the harness started runs eagerly, through the worker',
    );
    // A parked delivery's run reads as its delivery in the Temporal UI, like one started at once.
    const parked = await h.client.workflow.getHandle(String(during[0].body.workflowId)).describe();
    assert.match(String(await parked.staticSummary()), /^issues\.opened #100\b/);
    assert.match(String(await parked.staticDetails()), /\*\*Delivery\*\* /);

    // The first parked delivery: its request, the relay's start and its workflow share one trace.
    // Workflow spans leave through the sink after the workflow's last activity has marked it completed.
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    await waitFor('the workflow span', async () => {
      await tracing.flush();
      return inTrace().some((s) => s.name === 'RunWorkflow:onIssues');
    });
    const spans = inTrace();
    const request = spans.find((s) => s.attributes['hookflow.delivery.outcome'] === 'accepted');
    const relayed = spans.find((s) => s.name === 'StartWorkflow:onIssues');
    assert.ok(request && relayed, spans.map((s) => s.name).join(', '));
    assert.equal(relayed.parentSpanId, request.spanContext().spanId);
  });
});
