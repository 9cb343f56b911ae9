// A worker process killed (SIGKILL) while workflows run: after a new worker starts, every
// acknowledged delivery completes. The worker runs as a real separate process (worker/main.ts).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

describe('worker killed mid-run', () => {
  let h: Harness | undefined;
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await h?.close();
  });

  test('every acknowledged delivery completes after a new worker starts', async () => {
    h = await startHookflow({ worker: false });
    const total = 150;
    const answers = [];
    for (let i = 0; i < total; i += 25) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 25 }, (_, j) =>
            h!.post(
              githubDelivery({ event: 'issues', payload: { action: 'opened', issue: { number: i + j } } }),
            ),
          ),
        )),
      );
    }
    assert.ok(answers.every((a) => a.status === 202 && a.body.status === 'accepted'));
    const keys = answers.map((a) => String(a.body.workflowId));
    const completed = async () => {
      const { rows } = await h!.store.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM deliveries WHERE outcome = 'completed'`,
      );
      return Number(rows[0].n);
    };

    const first = spawnWorker(h);
    children.push(first);
    await waitFor(
      'the first worker to complete some deliveries',
      async () => (await completed()) > 0,
      60_000,
      10,
    );
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await completed();
    assert.ok(atKill < total, `the worker was killed mid-run (${atKill} of ${total} done)`);

    const second = spawnWorker(h);
    children.push(second);
    await waitFor('every delivery to complete', async () => (await completed()) === total, 120_000, 250);
    const rows = await Promise.all(keys.map((k) => h!.store.getDelivery(k)));
    assert.deepEqual(
      rows.filter((r) => r?.outcome !== 'completed'),
      [],
    );
    second.kill('SIGTERM');
    await exited(second);
  });
});
