// `hookflow hub …` end to end: a PubSubHubbub subscription made through `POST /hub` (the fake
// GitHub's hub) gets a secret of its own that hookflow keeps sealed, and a callback URL naming it;
// GitHub's form-encoded, sha1-signed posts there are accepted for that repository and event only,
// and refused once unsubscribed. The secret never shows in the CLI's output nor unsealed in storage.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { SEAL_KEY, startFake } from './helpers/api';
import { hooksCliEnv, runCli } from './helpers/cli';
import { githubDelivery, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const KEY = SEAL_KEY.toString('base64');
const TOKEN = 'ghp_test_token_for_hub_00000000000000';

describe('PubSubHubbub subscriptions', () => {
  let fake: FakeGitHub;
  let h: Harness;
  const env = () => hooksCliEnv(h, fake.url, TOKEN);

  before(async () => {
    fake = await startFake({ staticTokens: { [TOKEN]: 'pat:hub' } });
    h = await startHookflow({
      worker: false,
      env: { HOOKFLOW_ENCRYPTION_KEY: KEY, HOOKFLOW_HOOK_CACHE_MS: '100' },
    });
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  const push = (repository: string) => ({
    ref: 'refs/heads/main',
    repository: { full_name: repository, default_branch: 'main' },
  });

  test('subscribe, receive a form-encoded sha1-signed post, refuse others, unsubscribe', async () => {
    const subscribed = await runCli(
      ['hub', 'subscribe', 'octo/pushed', 'push', '--callback', h.webhookUrl, '--json'],
      env(),
    );
    assert.equal(subscribed.code, 0, subscribed.stderr);
    const out = JSON.parse(subscribed.stdout) as {
      subscription: string;
      topic: string;
      callback: string;
      secret?: string;
    };
    assert.equal(out.topic, `${fake.url}/octo/pushed/events/push`);
    assert.equal(out.callback, `${h.webhookUrl}?hub=${out.subscription}`);
    assert.equal(out.secret, undefined);
    assert.deepEqual(fake.hubRequests.at(-1), {
      mode: 'subscribe',
      topic: out.topic,
      callback: out.callback,
    });

    // GitHub keeps it as a repository hook posting a form, signed here with sha1 only.
    const hook = fake.hooks.find((x) => x.url === out.callback);
    assert.ok(hook, 'GitHub holds the subscription');
    assert.equal(hook.contentType, 'form');
    assert.ok(hook.secret.length >= 40, 'a long random secret');
    assert.equal(subscribed.stdout.includes(hook.secret) || subscribed.stderr.includes(hook.secret), false);
    hook.signatures = ['sha1'];
    const sent = await hook.send('push', push('octo/pushed'));
    assert.equal(sent.status_code, 202);
    // Keyed by the subscription, not by the hook ID header it carries (its secret chooses no hook).
    const { rows: recorded } = await h.store.db.query<{
      content_type: string;
      source: string;
      hook_id: string;
    }>('SELECT content_type, source, hook_id FROM deliveries WHERE delivery_id = $1', [sent.guid]);
    assert.deepEqual(recorded, [
      { content_type: 'form', source: `github:hub:${out.subscription}`, hook_id: `hub-${out.subscription}` },
    ]);
    assert.ok(sent.request.headers['x-github-hook-id'], 'the post named a hook ID');
    // sha256 verifies as well.
    hook.signatures = ['sha256'];
    assert.equal((await hook.send('push', push('octo/pushed'))).status_code, 202);
    hook.signatures = ['sha1'];

    // Its secret speaks for its repository and event only.
    const refusal = async (event: string, repository: string) => {
      const d = githubDelivery({
        event,
        payload: push(repository),
        secret: hook.secret,
        form: true,
        sha1Only: true,
      });
      const a = await post(out.callback, d);
      return [a.status, a.body.error];
    };
    assert.deepEqual(await refusal('issues', 'octo/pushed'), [
      403,
      'this subscription is for push events; its secret cannot speak for issues events',
    ]);
    assert.deepEqual(await refusal('push', 'octo/elsewhere'), [
      403,
      'this hook is configured on octo/pushed; its secret cannot speak for octo/elsewhere',
    ]);
    const signed = (secret: string) =>
      githubDelivery({ event: 'push', payload: push('octo/pushed'), secret, form: true, sha1Only: true });
    // One subscription per URL: a repeated parameter is refused, not guessed at.
    assert.equal((await post(`${out.callback}&hub=${out.subscription}`, signed(hook.secret))).status, 400);
    // Not the App's secret under its URL, nor its secret without the URL's subscription ID.
    assert.equal((await post(out.callback, signed('test-secret'))).status, 401);
    assert.equal(
      (
        await post(
          h.webhookUrl,
          githubDelivery({ event: 'push', payload: push('octo/pushed'), secret: hook.secret }),
        )
      ).status,
      401,
    );
    const unknown = await post(`${h.webhookUrl}?hub=nosuchsubscription`, signed(hook.secret));
    assert.deepEqual(
      [unknown.status, unknown.body.error],
      [
        401,
        'hookflow has no PubSubHubbub subscription nosuchsubscription (unsubscribed?), so it accepts nothing sent to it',
      ],
    );
    assert.equal((await post(`${h.webhookUrl}?hub=not%20an%20id`, signed(hook.secret))).status, 400);

    // Sealed in storage.
    const { rows } = await h.store.db.query<{ secrets: string; kind: string }>(
      'SELECT secrets, kind FROM managed_hooks',
    );
    assert.deepEqual(
      rows.map((r) => [r.kind, r.secrets.includes(hook.secret)]),
      [['hub', false]],
    );

    // Listed; subscribing again keeps the one subscription and its secret.
    const listed = await runCli(['hub', 'list', '--json'], env());
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { subscription: string; repository: string; event: string }[]).map(
        (r) => [r.subscription, r.repository, r.event],
      ),
      [[out.subscription, 'octo/pushed', 'push']],
    );
    const secret = hook.secret;
    const hubHooks = () => fake.hooks.filter((x) => x.url.includes('?hub='));
    const again = await runCli(
      ['hub', 'subscribe', 'octo/pushed', 'push', '--callback', h.webhookUrl],
      env(),
    );
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(fake.hubRequests.at(-1), {
      mode: 'subscribe',
      topic: out.topic,
      callback: out.callback,
    });
    assert.deepEqual(hubHooks(), [hook]);
    assert.equal(hook.secret, secret);
    const { rows: kept } = await h.store.db.query('SELECT 1 FROM managed_hooks');
    assert.equal(kept.length, 1);
    // GitHub lists it among the repository's hooks: marked as hookflow's subscription, and not
    // adoptable as a plain hook.
    const onGitHub = JSON.parse((await runCli(['hooks', 'list', 'octo/pushed', '--json'], env())).stdout) as {
      hookId: string;
      subscription?: string;
    }[];
    assert.deepEqual(
      onGitHub.map((r) => [r.hookId, r.subscription]),
      [[hook.id, out.subscription]],
    );
    const adopt = await runCli(['hooks', 'import', 'octo/pushed', hook.id], env());
    assert.equal(adopt.code, 1);
    assert.match(adopt.stderr, /is the PubSubHubbub subscription/);
    // Managed hooks do not list it.
    const hooksListed = await runCli(['hooks', 'list', '--json'], env());
    assert.deepEqual(JSON.parse(hooksListed.stdout), []);

    const ended = await runCli(['hub', 'unsubscribe', 'octo/pushed', 'push'], env());
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual(fake.hubRequests.at(-1), {
      mode: 'unsubscribe',
      topic: out.topic,
      callback: out.callback,
    });
    assert.equal(fake.hooks.includes(hook), false, 'unsubscribed on GitHub');
    await waitFor(
      'posts to the ended subscription to be refused',
      async () => (await post(out.callback, signed(secret))).status === 401,
    );
  });

  test('GitHub refusing: a refused subscribe keeps nothing; a refused unsubscribe keeps accepting unless --forget', async () => {
    fake.script({
      method: 'POST',
      path: /^\/hub$/,
      times: 1,
      status: 422,
      body: { message: 'Invalid topic' },
    });
    const refused = await runCli(
      ['hub', 'subscribe', 'octo/refused', 'push', '--callback', h.webhookUrl],
      env(),
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /GitHub refused the subscription .*nothing is subscribed/);
    const { rows: none } = await h.store.db.query(
      "SELECT 1 FROM managed_hooks WHERE target = 'octo/refused'",
    );
    assert.equal(none.length, 0);

    const made = await runCli(
      ['hub', 'subscribe', 'octo/gone', 'push', '--callback', h.webhookUrl, '--json'],
      env(),
    );
    assert.equal(made.code, 0, made.stderr);
    const { callback } = JSON.parse(made.stdout) as { callback: string };
    const hook = fake.hooks.find((x) => x.url === callback)!;
    fake.script({ method: 'POST', path: /^\/hub$/, times: 1, status: 404, body: { message: 'Not Found' } });
    const kept = await runCli(['hub', 'unsubscribe', 'octo/gone', 'push'], env());
    assert.equal(kept.code, 1);
    assert.match(kept.stderr, /its posts are still accepted.*--forget/);
    assert.equal((await hook.send('push', push('octo/gone'))).status_code, 202);

    fake.script({ method: 'POST', path: /^\/hub$/, times: 1, status: 404, body: { message: 'Not Found' } });
    const forgot = await runCli(['hub', 'unsubscribe', 'octo/gone', 'push', '--forget'], env());
    assert.equal(forgot.code, 0, forgot.stderr);
    assert.match(forgot.stderr, /forgetting it anyway/);
    await waitFor(
      'the forgotten subscription to be refused',
      async () => (await hook.send('push', push('octo/gone'))).status_code === 401,
    );
  });

  test('bad arguments exit 2 with the reason; an unknown subscription is exit 1', async () => {
    for (const [args, reason] of [
      [['hub', 'subscribe', 'not a repo', 'push'], /expected <owner>\/<repo>/],
      [['hub', 'subscribe', 'octo/x', 'Push!'], /expected a name such as issues/],
      [['hub', 'subscribe', 'octo/x', 'push', '--callback', 'ftp://x'], /expected an http or https URL/],
      [['hub', 'subscribe', 'octo/x', 'push'], /give --callback, or set HOOKFLOW_PUBLIC_URL/],
    ] as const) {
      const r = await runCli([...args], env());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason);
    }
    const none = await runCli(['hub', 'unsubscribe', 'octo/none', 'push'], env());
    assert.equal(none.code, 1);
    assert.match(none.stderr, /hookflow has no subscription to push events of octo\/none/);
  });
});
