// The secrets hookflow keeps for hooks never leave it unasked: a hook created through the CLI, its
// secret rotated (the rotation's workflow on this process's worker), deliveries signed with the old
// and the new secret, a PubSubHubbub subscription posting a form signed with its own secret, and a
// forged delivery. Every secret and every signature is then searched for in every log line, every
// span, every CLI output (none asked with --show-secret), every column of hookflow's storage read
// as text, and the rotation's Temporal history: none may hold one.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../lib/logger';
import type { FakeGitHub } from './fake-github/server';
import { SEAL_KEY, startFake } from './helpers/api';
import { hooksCliEnv, runCli } from './helpers/cli';
import { githubDelivery, post } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { memoryTracing } from './helpers/tracing';

const KEY = SEAL_KEY.toString('base64');
const TOKEN = 'ghp_test_token_for_redaction_0000000';

const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

let fake: FakeGitHub;
let h: Harness;
const { tracing, exporter } = memoryTracing();
const outputs: string[] = [];
const env = () => hooksCliEnv(h, fake.url, TOKEN);
async function cli(args: string[]): Promise<string> {
  const r = await runCli(args, env());
  outputs.push(r.stdout, r.stderr);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  fake = await startFake({ staticTokens: { [TOKEN]: 'pat:redaction' } });
  h = await startHookflow({
    tracing,
    logger: createLogger('trace', 'hookflow', sink),
    env: {
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: fake.url,
      HOOKFLOW_ENCRYPTION_KEY: KEY,
      HOOKFLOW_API_BACKOFF_MS: '20',
      HOOKFLOW_HOOK_CACHE_MS: '100',
      HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0',
      HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
    },
  });
});
after(async () => {
  await h?.close();
  await fake?.close();
  await tracing.shutdown();
});

test('hook creation, rotation and a PuSH subscription leave no secret in logs, spans, CLI output or storage', async () => {
  const star = { action: 'created', repository: { full_name: 'octo/secretive' } };
  const created = JSON.parse(
    await cli(['hooks', 'create', 'octo/secretive', '--events', 'star', '--url', h.webhookUrl, '--json']),
  ) as { hookId: string };
  const hook = fake.hooks.find((x) => x.id === created.hookId)!;
  const first = hook.secret;
  await fake.hookDeliveriesSettled();
  const signed: string[] = [];
  const sent = async (secret: string, o: { hookId?: string; form?: boolean; sha1Only?: boolean } = {}) => {
    const d = githubDelivery({ event: 'star', payload: star, hookId: hook.id, secret, ...o });
    signed.push(
      ...Object.entries(d.headers)
        .filter(([k]) => k.startsWith('x-hub-signature'))
        .map(([, v]) => v),
    );
    return (await post(h.webhookUrl, d)).status;
  };
  assert.equal(await sent(first), 202);

  const rotated = JSON.parse(await cli(['secrets', 'rotate', hook.id, '--json'])) as {
    phase: string;
    confirmed: boolean | null;
  };
  assert.deepEqual([rotated.phase, rotated.confirmed], ['grace', true]);
  const second = hook.secret;
  assert.notEqual(second, first);
  assert.equal(await sent(second), 202);
  assert.equal(await sent(first), 202, 'the old secret, in its grace period');
  assert.equal(await sent('forged-secret-for-redaction'), 401);

  const sub = JSON.parse(
    await cli(['hub', 'subscribe', 'octo/secretive', 'star', '--callback', h.webhookUrl, '--json']),
  ) as { callback: string };
  const subHook = fake.hooks.find((x) => x.url === sub.callback)!;
  subHook.signatures = ['sha1'];
  const posted = await subHook.send('star', star);
  assert.equal(posted.status_code, 202);
  signed.push(posted.request.headers['x-hub-signature']);
  await h.stopWorker();
  await tracing.flush();

  const secrets = [first, second, subHook.secret, 'forged-secret-for-redaction'];
  const digests = signed.map((s) => s.slice(s.indexOf('=') + 1));
  assert.equal(digests.length, 5);

  // Every column of every table of hookflow's storage, as text.
  const { rows: columns } = await h.store.db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const stored: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await h.store.db.query<{ v: string | null }>(
      `SELECT "${column_name}"::text AS v FROM "${table_name}"`,
    );
    stored.push(...rows.map((r) => r.v ?? ''));
  }
  assert.ok(
    stored.some((v) => v.includes('octo/secretive')),
    'storage was read',
  );
  const history = JSON.stringify(
    (await h.client.workflow.getHandle(`rotate-secret:github:${hook.id}`).fetchHistory()).events,
  );
  const spans = exporter
    .getFinishedSpans()
    .map((s) =>
      JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }),
    );
  assert.ok(raw.length >= 10 && spans.length >= 10, `${raw.length} log lines, ${spans.length} spans`);

  const places: [string, string[]][] = [
    ['a log line', raw],
    ['a span', spans],
    ['CLI output', outputs],
    ['a storage column', stored],
    ["the rotation's history", [history]],
  ];
  for (const secret of [...secrets, ...digests])
    for (const [where, texts] of places)
      assert.equal(
        texts.find((t) => t.includes(secret)) ?? null,
        null,
        `${where} holds ${secret.slice(0, 6)}…`,
      );
});
