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
import { backgroundNativeConnection } from '../lib/temporal/connect';
import { deliveryKeyOf } from './helpers/deliveries';
import { testEnv, waitFor } from './helpers/env';

/**
 * A TCP proxy in front of the run's Temporal (on `port`, or any free one). `shut()` stops it
 * listening and cuts what it carries: from then on connections are refused, as when the server's
 * process has stopped.
 */
async function temporalProxy(port = 0): Promise<{ address: string; shut(): void }> {
  const [host, upstreamPort] = testEnv.temporalAddress.split(':');
  const open = new Set<net.Socket>();
  const proxy = net.createServer((socket) => {
    const upstream = net.connect(Number(upstreamPort), host);
    for (const s of [socket, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    upstream.on('close', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    shut() {
      proxy.close();
      for (const s of open) s.destroy();
    },
  };
}

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

/** Starts through a worker's connection, as `npm start` makes them. */
const workerStarts = (client: Client) => ({ client: () => client, eager: true });

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
    const starter = temporalStarter(plain, queue, 10_000, true, workerStarts(eager));
    assert.equal(starter.path(), 'eager');
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
    const starter = temporalStarter(plain, `${queue}-elsewhere`, 10_000, true, workerStarts(eager));
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
    const starter = temporalStarter(plain, queue, 10_000, true, workerStarts(eager));
    assert.equal(starter.path(), 'eager');
    const result = await starter.start(ref(`eager-${randomUUID()}`), 'onIssues', false);
    assert.equal(result.kind, 'started');
    ours.push(result.workflowId);
    assert.equal(result.kind === 'started' && result.eager, false);
    assert.equal(starter.path(), 'javascript', 'a connection found closed is not asked again');
  });

  test("while Temporal does not answer, an eager start still fails within the start's deadline", async () => {
    // Both clients reach the test server through a proxy that is then shut. The worker's native
    // connection then retries on its own for about ten seconds, unless the starter bounds the call.
    const proxy = await temporalProxy();
    const { address } = proxy;
    const native = await NativeConnection.connect({ address });
    const grpc = await Connection.connect({ address });
    try {
      proxy.shut();
      const deadlineMs = 500;
      const starter = temporalStarter(
        new Client({ connection: grpc, namespace: testEnv.namespace }),
        queue,
        deadlineMs,
        true,
        workerStarts(new Client({ connection: native, namespace: testEnv.namespace })),
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
      // Its native call is still retrying inside the SDK: drain() waits for the deadline only, and
      // closing the connection under it throws nothing (as the server closes: drain, then close).
      await starter.drain();
    } finally {
      proxy.shut();
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

describe("a server's own native connection", () => {
  test('starts go through it once it is made, not eagerly, and through the JavaScript client until then', async () => {
    const native = await NativeConnection.connect({ address: testEnv.temporalAddress });
    const grpc = await Connection.connect({ address: testEnv.temporalAddress });
    const plain = new Client({ connection: grpc, namespace: testEnv.namespace });
    const viaNative = new Client({ connection: native, namespace: testEnv.namespace });
    const queue = `tq-native-${randomUUID()}`;
    let made: Client | undefined;
    const starter = temporalStarter(plain, queue, 10_000, true, { client: () => made, eager: false });
    const started: string[] = [];
    try {
      assert.equal(starter.path(), 'javascript');
      const before = await starter.start(ref(`native-${randomUUID()}`), 'onIssues', false);
      assert.equal(before.kind, 'started', 'started by the JavaScript client');
      started.push(before.workflowId);
      made = viaNative;
      assert.equal(starter.path(), 'native');
      // With the JavaScript client's connection closed, only the native one can start the run.
      await grpc.close();
      const after = await starter.start(ref(`native-${randomUUID()}`), 'onIssues', false);
      assert.equal(after.kind, 'started');
      started.push(after.workflowId);
      assert.equal(after.kind === 'started' ? after.eager : 'no', undefined, 'no eager start asked');
    } finally {
      await Promise.all(started.map((id) => viaNative.workflow.getHandle(id).terminate('test over')));
      await native.close();
    }
  });

  test('while a native start that outlived its deadline still runs, starts go through the JavaScript client', async () => {
    // The native connection reaches Temporal through a proxy that is then shut; the JavaScript
    // client reaches it directly. The first start's native call goes on retrying inside the SDK
    // until the proxy listens again.
    let proxy = await temporalProxy();
    const port = Number(proxy.address.split(':')[1]);
    const native = await NativeConnection.connect({ address: proxy.address });
    const grpc = await Connection.connect({ address: testEnv.temporalAddress });
    const plain = new Client({ connection: grpc, namespace: testEnv.namespace });
    const queue = `tq-native-${randomUUID()}`;
    const viaNative = new Client({ connection: native, namespace: testEnv.namespace });
    const starter = temporalStarter(plain, queue, 2_000, true, { client: () => viaNative, eager: false });
    const first = ref(`native-${randomUUID()}`);
    const started = [first.key];
    try {
      proxy.shut();
      const err = await starter.start(first, 'onIssues', false).catch((e: unknown) => e);
      assert.equal(isTemporalUnavailable(err), true, String(err));
      assert.equal(starter.path(), 'javascript');
      const next = await starter.start(ref(`native-${randomUUID()}`), 'onIssues', false);
      assert.equal(next.kind, 'started', 'started by the JavaScript client');
      started.push(next.workflowId);
      // Once the abandoned call has ended (here: answered, through the proxy back on its port),
      // starts go through the native connection again.
      proxy = await temporalProxy(port);
      await waitFor(
        'starts back on the native connection',
        () => Promise.resolve(starter.path() === 'native'),
        30_000,
      );
      await starter.drain();
    } finally {
      proxy.shut();
      await Promise.all(
        started.map((id) =>
          plain.workflow
            .getHandle(id)
            .terminate('test over')
            .catch(() => undefined),
        ),
      );
      await Promise.all([native.close(), grpc.close()]);
    }
  });

  test('a start Temporal refuses through it is not tried again through the JavaScript client', async () => {
    const native = await NativeConnection.connect({ address: testEnv.temporalAddress });
    // The JavaScript client's connection is closed: a second try through it would fail otherwise.
    const grpc = await Connection.connect({ address: testEnv.temporalAddress });
    await grpc.close();
    try {
      const starter = temporalStarter(
        new Client({ connection: grpc, namespace: 'no-such-namespace' }),
        'tq',
        5_000,
        true,
        { client: () => new Client({ connection: native, namespace: 'no-such-namespace' }), eager: false },
      );
      const err = await starter
        .start(ref(`native-${randomUUID()}`), 'onIssues', false)
        .catch((e: unknown) => e);
      assert.ok(err instanceof Error);
      assert.match(String(err), /namespace/i);
      assert.equal(isTemporalUnavailable(err), false, String(err));
    } finally {
      await native.close();
    }
  });

  test('is made in the background once Temporal answers, and closed with the server', async () => {
    const port = await freePort();
    const background = backgroundNativeConnection({ env: {} }, `127.0.0.1:${port}`, 50);
    // Nothing listens there yet: connection attempts are refused and tried again.
    assert.equal(background.current(), undefined);
    let proxy: Awaited<ReturnType<typeof temporalProxy>> | undefined;
    try {
      proxy = await temporalProxy(port);
      await waitFor('the native connection', () => Promise.resolve(background.current() !== undefined));
      const client = new Client({ connection: background.current()!, namespace: testEnv.namespace });
      await client.workflowService.getSystemInfo({});
      await background.close();
      assert.equal(background.current(), undefined);
    } finally {
      await background.close();
      proxy?.shut();
    }
  });
});
