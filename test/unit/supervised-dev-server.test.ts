// The dev-server supervisor of `npm start`, with a fake server whose exit the test controls.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, test } from 'node:test';
import type { DevServer, DevServerExit } from '../../lib/temporal/dev-server';
import { superviseDevServer } from '../../lib/temporal/supervised-dev-server';

interface FakeServer extends DevServer {
  die(reason: string, orderly?: boolean): void;
  stopped: boolean;
}

function fakeServer(): FakeServer {
  let resolveExit!: (exit: DevServerExit) => void;
  const exited = new Promise<DevServerExit>((resolve) => (resolveExit = resolve));
  const die = (reason: string, orderly = false) => resolveExit({ reason, orderly });
  const server: FakeServer = {
    address: '127.0.0.1:7233',
    uiUrl: undefined,
    child: {} as ChildProcess,
    exited,
    die,
    stopped: false,
    stop: () => {
      server.stopped = true;
      die('stopped', true);
      return Promise.resolve();
    },
  };
  return server;
}

function harness(failures: number[] = []) {
  const started: FakeServer[] = [];
  const waits: number[] = [];
  const lines: string[] = [];
  let attempt = 0;
  const clock = { now: 0 };
  const nextStarted = (n: number) =>
    new Promise<FakeServer>((resolve) => {
      const poll = () => (started.length >= n ? resolve(started[n - 1]) : setImmediate(poll));
      poll();
    });
  return {
    started,
    waits,
    lines,
    nextStarted,
    clock,
    options: {
      start: () => {
        attempt++;
        if (failures.includes(attempt)) return Promise.reject(new Error(`start ${attempt} failed`));
        const s = fakeServer();
        started.push(s);
        return Promise.resolve(s);
      },
      log: {
        warn: (_: Record<string, unknown>, msg: string) => void lines.push(`warn ${msg}`),
        info: (_: Record<string, unknown>, msg: string) => void lines.push(`info ${msg}`),
      },
      initialBackoffMs: 10,
      maxBackoffMs: 40,
      stableAfterMs: 1_000,
      now: () => clock.now,
      sleep: (ms: number) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
  };
}

describe('superviseDevServer', () => {
  test('starts the server again after it exits unexpectedly, and says so', async () => {
    const h = harness();
    const supervised = await superviseDevServer(h.options);
    h.started[0].die('exited (code null, signal SIGKILL)');
    await h.nextStarted(2);
    assert.equal(supervised.restarts(), 1);
    assert.deepEqual(h.waits, [10]);
    assert.match(h.lines.join('\n'), /stopped unexpectedly: restarting it/);
    assert.match(h.lines.join('\n'), /running again/);
    await supervised.stop();
    assert.equal(h.started[1].stopped, true);
  });

  test('doubles the wait while restarts fail, up to the maximum, then recovers', async () => {
    const h = harness([2, 3, 4, 5]);
    const supervised = await superviseDevServer(h.options);
    h.started[0].die('crashed');
    await h.nextStarted(2);
    assert.deepEqual(h.waits, [10, 20, 40, 40, 40]);
    assert.equal(supervised.restarts(), 1);
    await supervised.stop();
  });

  test('a restarted server that dies soon again waits longer; one that ran a while starts over', async () => {
    const h = harness();
    const supervised = await superviseDevServer(h.options);
    h.started[0].die('crashed');
    await h.nextStarted(2);
    h.started[1].die('crashed again at once');
    await h.nextStarted(3);
    assert.deepEqual(h.waits, [10, 20]);
    h.clock.now += 5_000;
    h.started[2].die('crashed after running a while');
    await h.nextStarted(4);
    assert.deepEqual(h.waits, [10, 20, 10]);
    await supervised.stop();
  });

  test('an orderly exit (Ctrl-C reaches the dev server too) is not restarted', async () => {
    const h = harness();
    const supervised = await superviseDevServer(h.options);
    h.started[0].die('exited (code null, signal SIGINT)', true);
    // The supervisor's last word: after it, it watches nothing more.
    await new Promise<void>((resolve) => {
      const poll = () =>
        h.lines.some((l) => /stopped as asked: not restarting it/.test(l)) ? resolve() : setImmediate(poll);
      poll();
    });
    assert.equal(h.started.length, 1);
    assert.deepEqual(h.waits, []);
    await supervised.stop();
  });

  test('a stop is not an unexpected exit: nothing is restarted', async () => {
    const h = harness();
    const supervised = await superviseDevServer(h.options);
    await supervised.stop();
    await new Promise((r) => setImmediate(r));
    assert.equal(h.started.length, 1);
    assert.equal(supervised.restarts(), 0);
    assert.deepEqual(h.waits, []);
  });

  test('a failure of the first start is the caller’s to report', async () => {
    const h = harness([1]);
    await assert.rejects(superviseDevServer(h.options), /start 1 failed/);
  });
});
