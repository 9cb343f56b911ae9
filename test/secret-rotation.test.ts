// `hookflow secrets rotate` end to end, on real Temporal and PostgreSQL, against the fake GitHub's
// hooks API: the new secret is set on GitHub and confirmed by a ping; during the grace period
// deliveries signed with the old secret are accepted and counted, after it they are refused; a
// worker killed in the middle loses nothing (another finishes the rotation); `--now` retires the
// old secret at once. The secrets never show in the CLI's output.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../lib/net';
import type { FakeGitHub } from './fake-github/server';
import type { FakeHook } from './fake-github/hook-deliveries';
import { SEAL_KEY, startFake } from './helpers/api';
import { cliEnv, runCli } from './helpers/cli';
import { githubDelivery, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

const KEY = SEAL_KEY.toString('base64');
const TOKEN = 'ghp_test_token_for_rotation_000000000';

/** The value of a counter with these labels (among others) on a /metrics page, 0 when absent. */
function counter(text: string, name: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('hook secret rotation', () => {
  let fake: FakeGitHub;
  let h: Harness;
  const workers: ChildProcess[] = [];
  const apiEnv = () => ({
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: fake.url,
    HOOKFLOW_ENCRYPTION_KEY: KEY,
    HOOKFLOW_API_BACKOFF_MS: '20',
    HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0',
    HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
  });
  const env = () => ({ ...cliEnv(h), ...apiEnv() });
  const worker = (extra: Record<string, string> = {}) => {
    const w = spawnWorker(h, { ...apiEnv(), ...extra });
    workers.push(w);
    return w;
  };

  before(async () => {
    fake = await startFake({ staticTokens: { [TOKEN]: 'pat:rotation' } });
    h = await startHookflow({
      worker: false,
      // The default cache: a rotation must not depend on servers re-reading the hook soon.
      env: { HOOKFLOW_ENCRYPTION_KEY: KEY },
    });
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map(exited));
    await h?.close();
    await fake?.close();
  });

  /** A `star` delivery of the hook's repository, signed with `secret`, to hookflow. */
  const send = async (hook: FakeHook, secret: string) =>
    (
      await post(
        h.webhookUrl,
        githubDelivery({
          event: 'star',
          payload: { action: 'created', repository: { full_name: 'octo/rotated' } },
          hookId: hook.id,
          secret,
        }),
      )
    ).status;

  const createHook = async (repository: string) => {
    const r = await runCli(
      ['hooks', 'create', repository, '--events', 'star', '--url', h.webhookUrl, '--json'],
      env(),
    );
    assert.equal(r.code, 0, r.stderr);
    const { hookId } = JSON.parse(r.stdout) as { hookId: string };
    await fake.hookDeliveriesSettled();
    return fake.hooks.find((x) => x.id === hookId)!;
  };

  test('the new secret reaches GitHub; the old one works through the grace period, counted, then not; a killed worker loses nothing', async () => {
    const first = worker();
    const hook = await createHook('octo/rotated');
    const old = hook.secret;
    assert.equal(await send(hook, old), 202);

    const rotated = await runCli(['secrets', 'rotate', hook.id, '--grace', '6s', '--json'], env());
    assert.equal(rotated.code, 0, rotated.stderr);
    const outputs = [rotated.stdout, rotated.stderr];
    const state = JSON.parse(rotated.stdout) as { phase: string; confirmed: boolean; oldRetiresAt: string };
    assert.deepEqual([state.phase, state.confirmed], ['grace', true]);
    assert.notEqual(hook.secret, old, 'GitHub has the new secret');
    const newSecret = hook.secret;
    // The confirming ping was signed with the new secret and answered.
    assert.deepEqual([hook.log.at(-1)?.event, hook.log.at(-1)?.status_code], ['ping', 200]);

    // The worker dies in the middle of the grace period; another one takes the rotation over.
    first.kill('SIGKILL');
    await exited(first);
    const metricsPort = await freePort();
    worker({ HOOKFLOW_WORKER_METRICS_PORT: String(metricsPort) });

    // During the grace period both verify; the old one is counted.
    assert.equal(await send(hook, old), 202);
    assert.equal(await send(hook, hook.secret), 202);
    const serverMetrics = await (await fetch(h.metricsUrl)).text();
    assert.ok(
      counter(serverMetrics, 'hookflow_old_secret_deliveries_total', `source="github:hook:${hook.id}"`) >= 1,
      serverMetrics,
    );

    // After it, the old one is refused; the new one still verifies.
    await waitFor('the old secret to be refused', async () => (await send(hook, old)) === 401, 30_000);
    assert.ok(Date.now() >= Date.parse(state.oldRetiresAt) - 1_000, 'not before the grace period ended');
    assert.equal(await send(hook, hook.secret), 202);

    const status = await waitFor(
      'the rotation to finish',
      async () => {
        const r = await runCli(['secrets', 'status', hook.id, '--json'], env());
        outputs.push(r.stdout, r.stderr);
        // Until the new worker has the workflow (after the dead one's sticky queue times out), asking may fail.
        if (r.code !== 0) return false;
        const [s] = JSON.parse(r.stdout) as {
          liveSecrets: number;
          rotation: { status: string; phase: string; confirmed: boolean };
        }[];
        return s.rotation.status === 'COMPLETED' && s;
      },
      60_000,
    );
    assert.deepEqual(
      [status.liveSecrets, status.rotation.phase, status.rotation.confirmed],
      [1, 'done', true],
    );
    const workerMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(counter(workerMetrics, 'hookflow_secret_rotations_total', 'result="confirmed"'), 1);
    for (const secret of [old, newSecret])
      assert.equal(
        outputs.some((text) => text.includes(secret)),
        false,
        'no secret in the CLI output',
      );
  });

  test('--now retires the old secret at once; a second rotation while one runs is refused', async () => {
    if (workers.every((w) => w.exitCode !== null || w.signalCode !== null)) worker();
    const hook = await createHook('octo/rotated');
    const old = hook.secret;
    const long = await runCli(['secrets', 'rotate', hook.id, '--grace', '1h'], env());
    assert.equal(long.code, 0, long.stderr);
    const again = await runCli(['secrets', 'rotate', hook.id, '--now'], env());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a rotation of hook \d+ is under way/);
    assert.equal(await send(hook, old), 202, 'still in its hour of grace');

    // A leak: the hour-long rotation is given up, and --now makes the old secrets stop at once.
    const handle = h.client.workflow.getHandle(`rotate-secret:github:${hook.id}`);
    await handle.terminate('the test leaks the secret');
    const leakedSecret = hook.secret; // the one GitHub had: the hour-long rotation's
    assert.equal(await send(hook, leakedSecret), 202);
    const leaked = await runCli(['secrets', 'rotate', hook.id, '--now', '--json'], env());
    assert.equal(leaked.code, 0, leaked.stderr);
    // `rotate --now` returns once every server refuses them (their short cache has passed).
    assert.equal(await send(hook, old), 401);
    assert.equal(await send(hook, leakedSecret), 401);
    assert.notEqual(hook.secret, leakedSecret, 'GitHub has a new secret');
    assert.equal(await send(hook, hook.secret), 202);
  });

  test("the App's own secret: the manual steps; bad arguments exit 2", async () => {
    const app = await runCli(['secrets', 'rotate', 'app'], env());
    assert.equal(app.code, 1);
    assert.match(app.stderr, /WEBHOOK_SECRET=<new>,<old>/);
    for (const args of [
      ['secrets', 'rotate', 'abc'],
      ['secrets', 'rotate', '12', '--grace', '3 days'],
    ]) {
      const r = await runCli(args, env());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const unknown = await runCli(['secrets', 'rotate', '424242'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /manages no hook 424242/);
  });
});
