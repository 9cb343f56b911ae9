// `npm start` on the embedded default, as a user runs it: a local Temporal dev server with a file
// database, the embedded store, worker and server in one command; Ctrl-C stops all of it; a restart
// keeps the data (a delivery from before the restart is still known as a duplicate).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../lib/net';
import { githubDelivery, post } from './helpers/deliveries';
import { testEnv, waitFor } from './helpers/env';
import { npmStart, remoteCodec, startEnv, stop, type Started } from './helpers/npm-start';

/** Sends an `issues.opened` delivery and waits for its workflow's result through Temporal. */
async function deliverAndAwait(started: Started, temporalPort: number, issue: number) {
  const delivery = githubDelivery({
    event: 'issues',
    payload: { action: 'opened', issue: { number: issue }, repository: { full_name: 'acme/api' } },
  });
  const accepted = await post(started.webhookUrl, delivery);
  assert.equal(accepted.status, 202);
  const workflowId = String(accepted.body.workflowId);
  await awaitIssueWorkflow(temporalPort, workflowId, issue, started.codecUrl);
  // Server and worker share one process: the run's first task came back in the start's answer, to
  // that worker, with no poll in between (one delivery at a time: the worker has a free slot).
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(startedEvent?.eagerExecutionAccepted, true, 'the run was started eagerly on the worker');
    // …and that worker ran the task it was handed: a task lost on the way would time out and be
    // queued again, and the run would still complete.
    const timedOut = history.events?.filter((e) => e.workflowTaskTimedOutEventAttributes) ?? [];
    assert.deepEqual(timedOut, [], 'no workflow task timed out');
  } finally {
    await connection.close();
  }
  return { delivery, accepted };
}

/**
 * Waits for an `issues.opened` delivery's workflow to finish, and checks what it did. A delivery
 * parked in the outbox has no workflow until the relay starts it: wait for it to exist first.
 */
async function awaitIssueWorkflow(temporalPort: number, workflowId: string, issue: number, codecUrl: string) {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const client = new Client({ connection, dataConverter: { payloadCodecs: [remoteCodec(codecUrl)] } });
    const handle = client.workflow.getHandle(workflowId);
    await waitFor(
      `workflow ${workflowId} to be started`,
      () =>
        handle.describe().then(
          () => true,
          () => false,
        ),
      60_000,
    );
    const result: unknown = await handle.result();
    assert.match(String(result), new RegExp(`^issues\\.opened #${issue} in acme/api`));
    // Without the codec, Temporal holds ciphertext.
    const raw = new Client({ connection }).workflow.getHandle(workflowId);
    await assert.rejects(raw.result(), /binary\/encrypted/);
  } finally {
    await connection.close();
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

describe('npm start (embedded default)', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) {
      try {
        if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  test('starts everything, runs a delivery, stops cleanly on Ctrl-C, and keeps its data across a restart', async () => {
    const first = await npmStart((await startEnv()).env);
    children.push(first.child);
    const { port, temporalPort } = first;
    assert.equal(first.webhookUrl, `http://127.0.0.1:${port}/api/github/webhooks`);
    assert.equal((await fetch(first.uiUrl)).status, 200, 'the Temporal UI answers');
    // The local UI decodes through the codec endpoint npm start printed.
    const settings = (await (await fetch(`${first.uiUrl}/api/v1/settings`)).json()) as {
      Codec?: { Endpoint?: string };
    };
    assert.equal(settings.Codec?.Endpoint, first.codecUrl);

    const { delivery: d, accepted } = await deliverAndAwait(first, temporalPort, 1);

    assert.equal(await stop(first.child), 0, `clean exit; output:\n${first.output()}`);
    assert.equal(await portOpen(temporalPort), false, 'the dev server stopped with it');
    assert.equal(await portOpen(port), false, 'the HTTP server stopped');

    const second = await npmStart(first.env);
    children.push(second.child);
    const again = await post(second.webhookUrl, d);
    assert.deepEqual(again.body, { status: 'duplicate', workflowId: accepted.body.workflowId });
    assert.equal(await stop(second.child, 'SIGTERM'), 0);
  });

  test('restarts its Temporal dev server when it dies; meanwhile /readyz says 503, and a delivery sent then runs once it is back', async () => {
    const started = await npmStart((await startEnv()).env);
    children.push(started.child);
    const { port, temporalPort } = started;
    const base = `http://127.0.0.1:${port}`;
    const devServerPid = (): number | undefined => {
      const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(started.child.pid)]).toString();
      const line = out.split('\n').find((l) => /\btemporal\b/.test(l));
      return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0]);
    };
    const firstPid = devServerPid();
    assert.ok(firstPid, 'the dev server is a child of npm start');
    process.kill(firstPid, 'SIGKILL');

    const down = await waitFor('/readyz to say Temporal is unreachable', async () => {
      const r = await fetch(`${base}/readyz`);
      const body = (await r.json()) as { temporal: string };
      return r.status === 503 && body.temporal === 'unreachable' ? body : undefined;
    });
    const { starts, ...parts } = down as { starts?: string };
    assert.deepEqual(parts, { status: 'not ready', storage: 'ok', temporal: 'unreachable' });
    // The worker's connection, or the JavaScript client once a ping through it outlived its deadline.
    assert.ok(['eager', 'javascript'].includes(String(starts)), String(starts));
    // Sent while Temporal is away: parked in the outbox (`queued`), or started if the restarted
    // server already answers by the time the start is tried; either way it is acknowledged.
    const duringOutage = githubDelivery({
      event: 'issues',
      payload: { action: 'opened', issue: { number: 3 }, repository: { full_name: 'acme/api' } },
    });
    const parked = await post(started.webhookUrl, duringOutage);
    assert.equal(parked.status, 202, JSON.stringify(parked.body));
    assert.ok(['queued', 'accepted'].includes(String(parked.body.status)), JSON.stringify(parked.body));

    await waitFor(
      '/readyz to be ready again',
      async () => (await fetch(`${base}/readyz`)).status === 200,
      90_000,
    );
    const secondPid = devServerPid();
    assert.ok(secondPid !== undefined && secondPid !== firstPid, 'a new dev server process runs');
    assert.match(started.output(), /the Temporal dev server stopped unexpectedly: restarting it/);

    await awaitIssueWorkflow(temporalPort, String(parked.body.workflowId), 3, started.codecUrl);
    await deliverAndAwait(started, temporalPort, 2);
    assert.equal(await stop(started.child), 0, `clean exit; output:\n${started.output()}`);
    assert.equal(await portOpen(temporalPort), false, 'the restarted dev server stopped with it');
  });

  test('a start-up that fails half-way (HTTP port taken) stops the dev server it had started', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-start-'));
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const temporalPort = await freePort();
    try {
      const child = spawn(
        process.execPath,
        [...process.execArgv, path.join(__dirname, '..', 'scripts', 'start.ts')],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            HOOKFLOW_DATA_DIR: dataDir,
            PORT: String(port),
            HOST: '127.0.0.1',
            TEMPORAL_PORT: String(temporalPort),
            TEMPORAL_UI_PORT: String(await freePort()),
            HOOKFLOW_METRICS_PORT: '0',
            HOOKFLOW_ADMIN_PORT: '0',
            TEMPORAL_CLI_PATH: testEnv.cli,
            WEBHOOK_SECRET: 's',
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      let out = '';
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 1);
      assert.match(out, /failed to start.*EADDRINUSE/s);
      assert.equal(await portOpen(temporalPort), false, 'the dev server was stopped');
    } finally {
      blocker.close();
    }
  });
});
