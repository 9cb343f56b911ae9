// Telling "Temporal is away" (everything waits in the outbox) from "Temporal refuses this start"
// (a configuration problem, logged as an error), with real errors from a real server.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { freePort } from '../lib/net';
import { isTemporalUnavailable, temporalStarter } from '../server/starter';
import { deliveryKeyOf } from './helpers/deliveries';
import { testEnv } from './helpers/env';

const ref = (id: string) => ({
  key: deliveryKeyOf('github', id),
  provider: 'github',
  source: 'github',
  hookId: '-',
  deliveryId: id,
  event: 'issues',
  action: 'opened',
  installation: null,
  repository: null,
});

describe('classifying failed starts', () => {
  const connections: Connection[] = [];
  after(() => Promise.all(connections.map((c) => c.close())));

  test('an unreachable server is unavailable', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    connections.push(connection);
    const starter = temporalStarter(new Client({ connection }), 'tq', 500);
    const err = await starter.start(ref('a'), 'onIssues', false).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.equal(isTemporalUnavailable(err), true, String(err));
  });

  test('a start Temporal refuses (unknown namespace) is not an outage', async () => {
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    connections.push(connection);
    const starter = temporalStarter(new Client({ connection, namespace: 'no-such-namespace' }), 'tq', 5_000);
    const err = await starter.start(ref('b'), 'onIssues', false).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.match(String(err), /namespace/i);
    assert.equal(isTemporalUnavailable(err), false, String(err));
  });
});

describe('eager start', () => {
  // A worker on the test server with hookflow's workflows and stand-ins for a delivery's first and
  // last steps (these runs read and write no store), and a starter whose eager client shares that
  // worker's connection.
  const queue = `tq-eager-${randomUUID()}`;
  let native: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let connection: Connection | undefined;
  /** Runs this worker completes, and runs on a queue nobody polls (ended by the test). */
  const ours: string[] = [];
  const elsewhere: string[] = [];
  after(async () => {
    const client = connection && new Client({ connection, namespace: testEnv.namespace });
    await Promise.all([
      ...ours.map((id) => client?.workflow.getHandle(id).result()),
      ...elsewhere.map((id) => client?.workflow.getHandle(id).terminate('test over')),
    ]);
    worker?.shutdown();
    await running;
    await native?.close();
    await connection?.close();
  });

  const setUp = async () => {
    native ??= await NativeConnection.connect({ address: testEnv.temporalAddress });
    connection ??= await Connection.connect({ address: testEnv.temporalAddress });
    if (!worker) {
      worker = await Worker.create({
        connection: native,
        namespace: testEnv.namespace,
        taskQueue: queue,
        workflowBundle: { codePath: testEnv.untracedWorkflowBundle },
        activities: {
          beginDelivery: () =>
            Promise.resolve({
              summary: '',
              welcome: { label: false, comment: false },
              plan: { handlers: [], timeoutMs: 1_000, heartbeatMs: 1_000 },
            }),
          finishDelivery: () => Promise.resolve(),
        },
      });
      running = worker.run();
    }
    const plain = new Client({ connection, namespace: testEnv.namespace });
    const eager = new Client({ connection: native, namespace: testEnv.namespace });
    return { plain, eager };
  };

  test("a start through the worker's connection hands the run's first task to that worker", async () => {
    const { plain, eager } = await setUp();
    const starter = temporalStarter(plain, queue, 10_000, true, eager);
    const result = await starter.start(ref(`eager-${randomUUID()}`), 'onIssues', false);
    assert.equal(result.kind, 'started');
    ours.push(result.workflowId);
    assert.equal(result.kind === 'started' && result.eager, true, 'Temporal handed the first task back');
    // …and the worker ran it: a task lost on the way would time out, be queued, and still complete.
    const handle = plain.workflow.getHandle(result.workflowId);
    await handle.result();
    const history = await handle.fetchHistory();
    assert.deepEqual(
      history.events?.filter((e) => e.workflowTaskTimedOutEventAttributes) ?? [],
      [],
      'no workflow task timed out',
    );
  });

  test('a queue no worker of this connection polls is started the usual way', async () => {
    const { plain, eager } = await setUp();
    const starter = temporalStarter(plain, `${queue}-elsewhere`, 10_000, true, eager);
    const result = await starter.start(ref(`eager-${randomUUID()}`), 'onIssues', false);
    assert.equal(result.kind, 'started');
    elsewhere.push(result.workflowId);
    assert.equal(result.kind === 'started' && result.eager, false);
  });

  test("once the worker's connection is closed, starts go the usual way", async () => {
    const { plain } = await setUp();
    const closed = await NativeConnection.connect({ address: testEnv.temporalAddress });
    await closed.close();
    const eager = new Client({ connection: closed, namespace: testEnv.namespace });
    const result = await temporalStarter(plain, queue, 10_000, true, eager).start(
      ref(`eager-${randomUUID()}`),
      'onIssues',
      false,
    );
    assert.equal(result.kind, 'started');
    ours.push(result.workflowId);
    assert.equal(result.kind === 'started' && result.eager, false);
  });

  test("while Temporal does not answer, an eager start still fails within the start's deadline", async () => {
    // Both clients reach the test server through a proxy that is then shut, its connections cut:
    // from there on every connection is refused, as when the server's process has stopped. The
    // worker's native connection then retries on its own for about ten seconds, unless the
    // starter bounds the call.
    const [host, port] = testEnv.temporalAddress.split(':');
    const open = new Set<net.Socket>();
    const proxy = net.createServer((socket) => {
      const upstream = net.connect(Number(port), host);
      for (const s of [socket, upstream]) {
        open.add(s);
        s.on('close', () => open.delete(s));
        s.on('error', () => undefined);
      }
      upstream.on('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const native = await NativeConnection.connect({ address });
    const grpc = await Connection.connect({ address });
    try {
      proxy.close();
      for (const s of open) s.destroy();
      const deadlineMs = 500;
      const starter = temporalStarter(
        new Client({ connection: grpc, namespace: testEnv.namespace }),
        queue,
        deadlineMs,
        true,
        new Client({ connection: native, namespace: testEnv.namespace }),
      );
      const began = Date.now();
      const err = await starter
        .start(ref(`eager-${randomUUID()}`), 'onIssues', false)
        .catch((e: unknown) => e);
      const took = Date.now() - began;
      assert.ok(err instanceof Error, 'the start failed');
      assert.equal(isTemporalUnavailable(err), true, String(err));
      // A bound of four times the deadline: what is checked is that the deadline holds at all.
      assert.ok(
        took < 4 * deadlineMs,
        `the start took ${took} ms against a ${deadlineMs} ms deadline (${String(err)})`,
      );
      // Its native call is still retrying: closing the connection ends it.
    } finally {
      proxy.close();
      await Promise.all([native.close(), grpc.close()]);
    }
  });

  test('without an eager client nothing is asked of the worker', async () => {
    const { plain } = await setUp();
    const result = await temporalStarter(plain, queue, 10_000).start(
      ref(`eager-${randomUUID()}`),
      'onIssues',
      false,
    );
    assert.equal(result.kind, 'started');
    ours.push(result.workflowId);
    assert.equal(result.kind === 'started' ? result.eager : undefined, undefined);
  });
});
