// The server's workflow starter against a Temporal that is not there (a loopback port that drops
// every connection at once, as a dying server does): the
// SDK keeps retrying on timers of its own, and closing the connection under one of them throws
// "Channel has been shut down" from that timer, which kills the process at shutdown.
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporalStarter } from '../../server/starter';

test('after drain(), closing the connection leaves no retry timer behind to throw', async () => {
  const uncaught: unknown[] = [];
  const record = (err: unknown) => void uncaught.push(err);
  process.on('uncaughtException', record);
  let dropped!: () => void;
  const firstDropped = new Promise<void>((resolve) => (dropped = resolve));
  const dropper = net.createServer((socket) => {
    socket.on('close', () => dropped());
    socket.destroy();
  });
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = dropper.address() as net.AddressInfo;
    const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const starter = temporalStarter(new Client({ connection }), 'tq', 1_000);
    const outcomes = [starter.ping(), starter.ping(800)].map((p) =>
      p.then(
        () => 'answered',
        () => 'failed',
      ),
    );
    // Once the first connection is dropped, the first attempts fail and their retries wait on the
    // SDK's timers.
    await firstDropped;
    await starter.drain();
    await connection.close();
    // Longer than the SDK's retry delays at this point: what is checked is that nothing throws
    // meanwhile, and the absence of an event has no moment to wait for.
    await sleep(1_500);
    assert.deepEqual(uncaught.map(String), []);
    assert.deepEqual(await Promise.all(outcomes), ['failed', 'failed']);
  } finally {
    process.off('uncaughtException', record);
    dropper.close();
  }
});
