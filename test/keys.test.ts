// `hookflow keys status` and `hookflow keys rotate` as an operator runs them, against PostgreSQL:
// rows sealed with the old key (and bodies kept before encryption) are re-sealed with the new one,
// in batches, and still open; what needs a key that is gone is named, and tokens under it dropped.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { deliveryKey, type DeliveryRef } from '../lib/contracts/delivery-ref';
import { createBodyKeyring, createSealer, keyId } from '../lib/crypto';
import { openStore, type Store } from '../lib/storage';
import { readToken, writeToken } from '../lib/storage/api-state';
import { getManagedHook, putManagedHook } from '../lib/storage/managed-hooks';
import { createStore } from '../lib/storage/store';
import { runCli } from './helpers/cli';
import { githubDelivery } from './helpers/deliveries';
import { freshSchemaUrl, startHookflow } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

const [oldKey, newKey, lostKey] = [randomBytes(32), randomBytes(32), randomBytes(32)];
const [OLD, NEW, LOST] = [oldKey, newKey, lostKey].map(keyId);
const BODY = Buffer.from('{"pusher":{"email":"alice@example.com"},"repository":{"full_name":"octo/secret"}}');

/** A push delivery of octo/secret, as the front door records it. */
function pushRef(): DeliveryRef {
  const deliveryId = randomUUID();
  return {
    key: deliveryKey('github', '-', deliveryId),
    provider: 'github',
    source: 'github',
    hookId: '-',
    deliveryId,
    event: 'push',
    action: null,
    installation: '7',
    repository: 'octo/secret',
  };
}

let store: Store;
let databaseUrl: string;
const keys: string[] = [];
before(async () => {
  databaseUrl = await freshSchemaUrl();
  store = await openStore({ databaseUrl, dataDir: undefined, ledgerRetentionDays: 4 });
  const record = async (s: Store) => {
    const ref = pushRef();
    await s.recordDelivery({ ref, contentType: 'json', rawBody: BODY, workflowType: 'onPush' });
    keys.push(ref.key);
  };
  const sealing = createStore(store.db, {
    retentionDays: 4,
    bodies: { keyring: createBodyKeyring([oldKey]), seal: true },
  });
  for (let i = 0; i < 3; i++) await record(sealing);
  await record(store); // kept as sent, before encryption was on
  const old = createSealer([oldKey]);
  await putManagedHook(store.db, {
    provider: 'github',
    hookId: '901',
    scope: 'repository',
    target: 'octo/secret',
    events: ['push'],
    url: 'https://hooks.example.com/api/github/webhooks',
    sealedSecrets: old.seal(JSON.stringify([{ secret: 'hook-secret' }])),
  });
  await writeToken(store.db, 'github', '7', old.seal('ghs_old_token'), Date.now() + 3_600_000);
  await writeToken(store.db, 'github', '8', createSealer([lostKey]).seal('ghs_lost'), Date.now() + 3_600_000);
});
after(() => store?.db.close());

const env = (...ks: Buffer[]) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATABASE_URL: databaseUrl,
  HOOKFLOW_ENCRYPTION_KEY: ks.map((k) => k.toString('base64')).join(','),
});

test('status counts what each key sealed; rotate re-seals it with the newest, which alone then opens it', async () => {
  const status = await runCli(['keys', 'status', '--json'], env(newKey, oldKey));
  assert.equal(status.code, 0, status.stderr);
  const before = JSON.parse(status.stdout) as Record<string, unknown>;
  assert.deepEqual(before.keys, [NEW, OLD]);
  assert.deepEqual(before.bodies, { [OLD]: 3, plain: 1 });
  assert.deepEqual(before.hookSecrets, { [OLD]: 1 });
  assert.deepEqual(before.tokens, { [OLD]: 1, [LOST]: 1 });
  assert.deepEqual(before.unknownKeys, [LOST]);
  const human = await runCli(['keys', 'status'], env(newKey, oldKey));
  assert.match(human.stdout, new RegExp(`still in use: ${OLD}`));
  assert.match(human.stdout, new RegExp(`not openable here: values sealed with ${LOST}`));

  // Batches of one: the pass goes on until nothing is left, and says how far it got.
  const rotated = await runCli(['keys', 'rotate', '--batch', '1', '--json'], env(newKey, oldKey));
  assert.equal(rotated.code, 0, rotated.stderr);
  const out = JSON.parse(rotated.stdout) as Record<
    string,
    { resealed: number; dropped: number; unopenable: string[] }
  > & {
    after: Record<string, Record<string, number>>;
  };
  assert.deepEqual(out['ledger bodies'], { resealed: 4, dropped: 0, unopenable: [] });
  assert.deepEqual(out['hook secrets'], { resealed: 1, dropped: 0, unopenable: [] });
  // Tokens live an hour: those under an older key are dropped, and GitHub issues new ones.
  assert.deepEqual(out['installation tokens'], { resealed: 0, dropped: 2, unopenable: [] });
  assert.deepEqual(out.after.bodies, { [NEW]: 4 });
  assert.deepEqual(out.after.tokens, {});

  // The old key can go: the new one alone opens everything.
  const onlyNew = createStore(store.db, {
    retentionDays: 4,
    bodies: { keyring: createBodyKeyring([newKey]), seal: true },
  });
  for (const key of keys) assert.deepEqual((await onlyNew.getDelivery(key))?.rawBody, BODY, key);
  const sealer = createSealer([newKey]);
  const hook = await getManagedHook(store.db, 'github', '901');
  assert.deepEqual(JSON.parse(sealer.open(hook!.sealedSecrets)), [{ secret: 'hook-secret' }]);
  assert.equal(await readToken(store.db, 'github', '7'), undefined);
  assert.equal(await readToken(store.db, 'github', '8'), undefined);

  const done = await runCli(['keys', 'status'], env(newKey, oldKey));
  assert.match(done.stdout, new RegExp(`no stored value needs ${OLD}`));
  // Run again: nothing left to do.
  const again = JSON.parse(
    (await runCli(['keys', 'rotate', '--json'], env(newKey, oldKey))).stdout,
  ) as Record<string, { resealed: number }>;
  assert.equal(again['ledger bodies'].resealed, 0);
});

test('a body that does not open is left as it is and named; the pass still ends, and fails', async () => {
  const ref = pushRef();
  const { key } = ref;
  const sealing = createStore(store.db, {
    retentionDays: 4,
    bodies: { keyring: createBodyKeyring([oldKey]), seal: true },
  });
  await sealing.recordDelivery({
    ref,
    contentType: 'json',
    rawBody: BODY,
    workflowType: 'onPush',
  });
  await store.db.query(
    "UPDATE deliveries SET raw_body = decode('00112233445566778899aabbccddeeff0011223344556677', 'hex') WHERE delivery_key = $1",
    [key],
  );
  const r = await runCli(['keys', 'rotate', '--batch', '1', '--json'], env(newKey, oldKey));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, { resealed: number; unopenable: string[] }>;
  assert.deepEqual(out['ledger bodies'], { resealed: 0, dropped: 0, unopenable: [key] });
  const human = await runCli(['keys', 'rotate'], env(newKey, oldKey));
  assert.match(
    human.stdout,
    new RegExp(`not openable, left as they are: ${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
});

test('without HOOKFLOW_ENCRYPTION_KEY, keys says what to set', async () => {
  const r = await runCli(['keys', 'status'], { ...env(), HOOKFLOW_ENCRYPTION_KEY: undefined });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /HOOKFLOW_ENCRYPTION_KEY: required for the cli/);
});

test('status shows the Temporal payloads each key decrypted, tallied by the workers', async () => {
  const h = await startHookflow({
    worker: false,
    env: { HOOKFLOW_ENCRYPTION_KEY: newKey.toString('base64') },
  });
  try {
    const worker = spawnWorker(h);
    try {
      const answer = await h.post(
        githubDelivery({
          event: 'issues',
          payload: { action: 'opened', issue: { number: 1 }, repository: { full_name: 'octo/a' } },
        }),
      );
      await h.waitForOutcome(String(answer.body.workflowId), 'completed');
    } finally {
      // The tally is written at the latest when the worker stops.
      worker.kill('SIGTERM');
      await exited(worker);
    }
    const status = await runCli(['keys', 'status', '--json'], {
      ...env(newKey),
      DATABASE_URL: h.config.databaseUrl,
    });
    assert.equal(status.code, 0, status.stderr);
    const payloads = (
      JSON.parse(status.stdout) as { payloads: Record<string, { decodes: number; lastDecodedAt: string }> }
    ).payloads;
    assert.deepEqual(Object.keys(payloads), [NEW]);
    assert.ok(payloads[NEW].decodes >= 2, `${payloads[NEW].decodes} decodes (the input, activity results)`);
    assert.ok(Date.parse(payloads[NEW].lastDecodedAt) > Date.now() - 600_000);
    const human = await runCli(['keys', 'status'], { ...env(newKey), DATABASE_URL: h.config.databaseUrl });
    assert.match(human.stdout, new RegExp(`Temporal payloads\\s+${NEW}: \\d+ decrypted, last `));
  } finally {
    await h.close();
  }
});
