// `hookflow hooks …` end to end: a hook created through the API (the fake GitHub's hooks routes)
// gets a fresh secret that hookflow keeps sealed, and a second server process that was already
// running verifies the hook's ping and deliveries with it, with no restart; after `hooks delete`,
// deliveries signed with that secret are refused. The secret never shows in the CLI's output (unless
// asked) nor unsealed in storage.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, SEAL_KEY, startFake } from './helpers/api';
import { hooksCliEnv, runCli } from './helpers/cli';
import { githubDelivery, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { spawnServer } from './helpers/server-process';
import { exited } from './helpers/worker-process';

const KEY = SEAL_KEY.toString('base64');
const TOKEN = 'ghp_test_token_for_hooks_0000000000';

describe('hooks managed through the API', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let second: { child: ChildProcess; webhookUrl: string };
  const env = () => hooksCliEnv(h, fake.url, TOKEN);

  before(async () => {
    fake = await startFake({ staticTokens: { [TOKEN]: 'pat:hooks' } });
    h = await startHookflow({
      worker: false,
      env: { HOOKFLOW_ENCRYPTION_KEY: KEY, HOOKFLOW_HOOK_CACHE_MS: '100' },
    });
    // Already running before the hook exists: it must learn of it from storage, not from a restart.
    second = await spawnServer(h, {
      WEBHOOK_SECRET: 'the-apps-own-secret',
      HOOKFLOW_ENCRYPTION_KEY: KEY,
      HOOKFLOW_HOOK_CACHE_MS: '100',
    });
  });
  after(async () => {
    second?.child.kill('SIGTERM');
    if (second) await exited(second.child);
    await h?.close();
    await fake?.close();
  });

  /** A delivery as the hook would send it, signed with `secret`, to the second server. */
  const send = async (hookId: string, secret: string, repository = 'octo/hooked') =>
    (
      await post(
        second.webhookUrl,
        githubDelivery({
          event: 'star',
          payload: { action: 'starred', repository: { full_name: repository } },
          hookId,
          secret,
        }),
      )
    ).status;

  test('create, verify on another replica, list, deliveries, delete', async () => {
    const created = await runCli(
      ['hooks', 'create', 'octo/hooked', '--events', 'issues,star', '--url', second.webhookUrl, '--json'],
      env(),
    );
    assert.equal(created.code, 0, created.stderr);
    const out = JSON.parse(created.stdout) as {
      hookId: string;
      events: string[];
      active: boolean;
      secret?: string;
    };
    assert.deepEqual([out.events, out.active, out.secret], [['issues', 'star'], true, undefined]);

    // What GitHub got: a JSON hook, certificate checks on, with a secret of its own.
    const hook = fake.hooks.find((x) => x.id === out.hookId);
    assert.ok(hook, 'the hook exists on GitHub');
    assert.deepEqual(
      [hook.place, hook.events, hook.active, hook.contentType, hook.insecureSsl],
      [{ kind: 'repository', repository: 'octo/hooked' }, ['issues', 'star'], true, 'json', '0'],
    );
    assert.ok(hook.secret.length >= 40, 'a long random secret');
    assert.equal(created.stdout.includes(hook.secret) || created.stderr.includes(hook.secret), false);

    // The ping GitHub sent after activation was verified by the second server (200 pong).
    await fake.hookDeliveriesSettled();
    assert.deepEqual(
      hook.log.map((e) => [e.event, e.status_code]),
      [['ping', 200]],
    );
    // And its deliveries are accepted there; a wrong secret under the same hook ID is not.
    await hook.send('star', { action: 'created', repository: { full_name: 'octo/hooked' } });
    assert.equal(hook.log.at(-1)?.status_code, 202);
    assert.equal(await send(out.hookId, 'not-the-secret'), 401);
    // The App's own secret does not speak for a managed hook (it fails closed, no fallback)…
    assert.equal(await send(out.hookId, 'the-apps-own-secret'), 401);
    // …and the hook's secret speaks for its own repository only.
    assert.equal(await send(out.hookId, hook.secret, 'octo/someone-else'), 403);
    assert.equal(await send(out.hookId, hook.secret), 202);

    // Stored sealed: the row does not hold the secret in the clear.
    const { rows } = await h.store.db.query<{ secrets: string }>('SELECT secrets FROM managed_hooks');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].secrets.includes(hook.secret), false);

    const listed = await runCli(['hooks', 'list', '--json'], env());
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { hookId: string; target: string; managed: boolean }[]).map((r) => [
        r.hookId,
        r.target,
        r.managed,
      ]),
      [[out.hookId, 'octo/hooked', true]],
    );
    const onGitHub = await runCli(['hooks', 'list', 'octo/hooked', '--json'], env());
    assert.equal(onGitHub.code, 0, onGitHub.stderr);
    assert.deepEqual(
      (JSON.parse(onGitHub.stdout) as { hookId: string; managed: boolean; active: boolean }[]).map((r) => [
        r.hookId,
        r.managed,
        r.active,
      ]),
      [[out.hookId, true, true]],
    );

    const deliveries = await runCli(['hooks', 'deliveries', out.hookId, '--json'], env());
    assert.equal(deliveries.code, 0, deliveries.stderr);
    assert.deepEqual(
      (JSON.parse(deliveries.stdout) as { event: string; statusCode: number }[]).map((d) => [
        d.event,
        d.statusCode,
      ]),
      [
        ['star.created', 202],
        ['ping', 200],
      ],
    );

    const shown = await runCli(['hooks', 'secret', out.hookId], env());
    assert.deepEqual([shown.code, shown.stdout.trim()], [0, hook.secret]);

    // Destructive: without a terminal to ask, --yes is required.
    const unconfirmed = await runCli(['hooks', 'delete', out.hookId], env());
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /pass --yes/);
    assert.ok(fake.hooks.includes(hook), 'nothing deleted without --yes');

    const deleted = await runCli(['hooks', 'delete', out.hookId, '--yes'], env());
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(fake.hooks.includes(hook), false, 'deleted on GitHub');
    // Refused from then on (once the replica's short cache has expired).
    await waitFor(
      'the deleted hook to be refused',
      async () => (await send(out.hookId, hook.secret)) === 401,
    );
  });

  test('import adopts a hook with a new secret; update and test act on GitHub and are remembered', async () => {
    const hook = fake.addHook(
      { kind: 'repository', repository: 'octo/adopted' },
      { id: '777', url: second.webhookUrl, secret: 'typed-by-hand-once' },
    );
    // Before: an unknown hook ID, so the App's secret verifies it.
    assert.equal(await send('777', 'the-apps-own-secret', 'octo/adopted'), 202);
    const imported = await runCli(['hooks', 'import', 'octo/adopted', '777', '--json'], env());
    assert.equal(imported.code, 0, imported.stderr);
    assert.notEqual(hook.secret, 'typed-by-hand-once');
    assert.equal(imported.stdout.includes(hook.secret), false);
    await fake.hookDeliveriesSettled();
    assert.deepEqual(
      hook.log.map((e) => [e.event, e.status_code]),
      [['ping', 200]],
    );
    assert.equal(await send('777', hook.secret, 'octo/adopted'), 202);
    await waitFor(
      "the App's secret to be refused for the adopted hook",
      async () => (await send('777', 'the-apps-own-secret', 'octo/adopted')) === 401,
    );
    const again = await runCli(['hooks', 'import', 'octo/adopted', '777'], env());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /manages hook 777 already/);

    const secret = hook.secret;
    const updated = await runCli(
      [
        'hooks',
        'update',
        '777',
        '--events',
        'issues,push',
        '--inactive',
        '--url',
        `${second.webhookUrl}?v=2`,
        '--json',
      ],
      env(),
    );
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual(
      [hook.events, hook.active, hook.url, hook.secret],
      [['issues', 'push'], false, `${second.webhookUrl}?v=2`, secret],
      'changed on GitHub, the secret kept',
    );
    const listed = JSON.parse((await runCli(['hooks', 'list', '--json'], env())).stdout) as {
      hookId: string;
      events: string[];
      url: string;
    }[];
    assert.deepEqual(
      listed.filter((r) => r.hookId === '777').map((r) => [r.events, r.url]),
      [[['issues', 'push'], `${second.webhookUrl}?v=2`]],
    );
    const nothing = await runCli(['hooks', 'update', '777'], env());
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);

    assert.equal((await runCli(['hooks', 'update', '777', '--active'], env())).code, 0);
    const tested = await runCli(['hooks', 'test', '777'], env());
    assert.equal(tested.code, 0, tested.stderr);
    await fake.hookDeliveriesSettled();
    assert.deepEqual(
      [hook.log.at(-1)?.event, hook.log.at(-1)?.status_code],
      ['push', 202],
      'the push test verified with the kept secret',
    );
  });

  test("in App mode, list shows the App's own hook config too (read with the App's JWT)", async () => {
    fake.addHook(
      { kind: 'app' },
      { id: '1', url: 'https://hooks.example.com/api/github/webhooks', secret: 's' },
    );
    // App mode (no token: the two modes exclude each other); listing hookflow's hooks needs no token.
    const appEnv = {
      ...env(),
      GITHUB_TOKEN: undefined,
      APP_ID: apiEnv(fake).APP_ID,
      PRIVATE_KEY: apiEnv(fake).PRIVATE_KEY,
    };
    const listed = await runCli(['hooks', 'list', '--json'], appEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const app = (JSON.parse(listed.stdout) as { hookId: string; url: string; contentType?: string }[]).find(
      (r) => r.hookId === 'app',
    );
    assert.deepEqual(app && [app.url, app.contentType], [
      'https://hooks.example.com/api/github/webhooks',
      'json',
    ]);
    // Without the App, no such row (and no call).
    const tokenOnly = JSON.parse((await runCli(['hooks', 'list', '--json'], env())).stdout) as {
      hookId: string;
    }[];
    assert.equal(
      tokenOnly.some((r) => r.hookId === 'app'),
      false,
    );
    // A URL naming a PubSubHubbub subscription is not a hook's.
    const hubUrl = await runCli(
      ['hooks', 'create', 'octo/x', '--events', 'push', '--url', 'https://h.example.com/w?hub=abc'],
      env(),
    );
    assert.equal(hubUrl.code, 2);
    assert.match(hubUrl.stderr, /names a PubSubHubbub subscription/);
  });

  test('bad arguments exit 2 with the reason; no token is exit 1 saying what to set', async () => {
    for (const [args, reason] of [
      [['hooks', 'create', 'not a repo', '--events', 'issues'], /expected <owner>\/<repo> or org:<login>/],
      [['hooks', 'create', 'octo/x', '--events', 'Issues!'], /expected event names/],
      [
        ['hooks', 'create', 'octo/x', '--events', 'issues', '--url', 'ftp://x'],
        /expected an http or https URL/,
      ],
      [['hooks', 'create', 'octo/x', '--events', 'issues'], /give --url, or set HOOKFLOW_PUBLIC_URL/],
      [['hooks', 'ping', 'abc'], /expected a numeric GitHub hook ID/],
    ] as const) {
      const r = await runCli([...args], env());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason);
    }
    const noToken = await runCli(['hooks', 'list', 'octo/x'], { ...env(), GITHUB_TOKEN: undefined });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /managing hooks needs GITHUB_TOKEN/);
    const unknown = await runCli(['hooks', 'ping', '424242'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /hookflow manages no hook 424242/);
  });
});
