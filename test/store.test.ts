// hookflow's storage code against both stores it runs on: the real PostgreSQL server and the
// embedded PGlite store. Same schema, same migrations, same queries.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { deliveryKey, type DeliveryRef } from '../lib/contracts/delivery-ref';
import { createBodyKeyring, keyId } from '../lib/crypto';
import { openStore, type Store } from '../lib/storage';
import { createStore } from '../lib/storage/store';
import { isStorageUnavailable, openPostgres, type Queryable } from '../lib/storage/db';
import { migrate, MIGRATIONS } from '../lib/storage/migrations';
import { outcomesOf } from '../lib/storage/ledger';
import {
  advanceWatermark,
  askedFor,
  claimRedelivery,
  claimReplay,
  noteGap,
  purgeRedeliveries,
  readWatermark,
  recordExpired,
  releaseRedelivery,
  releaseReplay,
  replayedFor,
  settleRedelivery,
  settleReplay,
} from '../lib/storage/reconcile-state';
import { upsertIssues } from '../lib/storage/repo-data';
import * as journal from '../lib/storage/handler-journal';
import { waitFor } from './helpers/env';
import { freshSchemaUrl } from './helpers/harness';

function ref(over: Partial<DeliveryRef> = {}): DeliveryRef {
  const deliveryId = randomUUID();
  return {
    key: deliveryKey('github', '-', deliveryId),
    provider: 'github',
    source: 'github',
    hookId: '-',
    deliveryId,
    event: 'issues',
    action: 'opened',
    installation: '42',
    repository: 'acme/api',
    ...over,
  };
}

const record = (store: Store, r: DeliveryRef, workflowType: string | null = 'onIssues') =>
  store.recordDelivery({ ref: r, contentType: 'json', rawBody: Buffer.from('{"a":1}'), workflowType });

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`store (${kind})`, () => {
    // One store per kind (PGlite takes seconds to open); every test uses its own delivery keys.
    let store: Store | undefined;
    const open = async () => {
      store ??=
        kind === 'postgres'
          ? await openStore({ databaseUrl: await freshSchemaUrl(), dataDir: '', ledgerRetentionDays: 4 })
          : await openStore({
              databaseUrl: undefined,
              dataDir: mkdtempSync(path.join(os.tmpdir(), 'hookflow-store-')),
              ledgerRetentionDays: 4,
            });
      return store;
    };
    after(() => store?.db.close());

    test('migrations are applied once and are idempotent', async () => {
      const s = await open();
      assert.equal(await migrate(s.db), MIGRATIONS.length);
      const { rows } = await s.db.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      assert.equal(Number(rows[0].n), MIGRATIONS.length);
    });

    test('raw bodies are sealed at rest, open for the workflow and the relay, and name a missing key', async () => {
      const s = await open();
      const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
      const sealing = createStore(s.db, {
        retentionDays: 4,
        bodies: { keyring: createBodyKeyring([oldKey]), seal: true },
      });
      const body = Buffer.from('{"committer":{"email":"alice@example.com"},"repository":"octo/secret"}');
      const r = ref();
      await sealing.recordDelivery({ ref: r, contentType: 'json', rawBody: body, workflowType: 'onIssues' });
      const stored = await s.db.query<{ raw_body: Uint8Array; body_key_id: string }>(
        'SELECT raw_body, body_key_id FROM deliveries WHERE delivery_key = $1',
        [r.key],
      );
      const raw = Buffer.from(stored.rows[0].raw_body);
      assert.equal(stored.rows[0].body_key_id, keyId(oldKey));
      assert.equal(raw.includes('alice@example.com'), false);
      assert.equal(raw.includes('octo/secret'), false);
      assert.deepEqual((await sealing.getDelivery(r.key))?.rawBody, body);
      // The relay reads it opened too.
      await sealing.enqueue(r.key, 'Temporal unreachable');
      const leased = (await sealing.leaseOutbox(100, 60_000)).find((i) => i.ref.key === r.key);
      assert.deepEqual(leased?.rawBody, body);
      await sealing.outboxDone(r.key, r.key, null);

      // A new key first, the old one kept: it still opens; without the old one, the key is named.
      const rotated = createStore(s.db, {
        retentionDays: 4,
        bodies: { keyring: createBodyKeyring([newKey, oldKey]), seal: true },
      });
      assert.deepEqual((await rotated.getDelivery(r.key))?.rawBody, body);
      const dropped = createStore(s.db, {
        retentionDays: 4,
        bodies: { keyring: createBodyKeyring([newKey]), seal: true },
      });
      await assert.rejects(
        dropped.getDelivery(r.key),
        new RegExp(`sealed with key ${keyId(oldKey)}, which is not among`),
      );
      const keyless = createStore(s.db, { retentionDays: 4 });
      await assert.rejects(keyless.getDelivery(r.key), /HOOKFLOW_ENCRYPTION_KEY is not set/);

      // A sealed body copied onto another row does not open there.
      const other = ref();
      await sealing.recordDelivery({
        ref: other,
        contentType: 'json',
        rawBody: body,
        workflowType: 'onIssues',
      });
      await s.db.query('UPDATE deliveries SET raw_body = $1 WHERE delivery_key = $2', [raw, other.key]);
      await assert.rejects(sealing.getDelivery(other.key), /does not verify/);

      // Encryption off: new bodies are kept as sent; plain rows from before still read.
      const plain = createStore(s.db, {
        retentionDays: 4,
        bodies: { keyring: createBodyKeyring([oldKey]), seal: false },
      });
      const p = ref();
      await plain.recordDelivery({ ref: p, contentType: 'json', rawBody: body, workflowType: 'onIssues' });
      const kept = await s.db.query<{ raw_body: Uint8Array; body_key_id: string | null }>(
        'SELECT raw_body, body_key_id FROM deliveries WHERE delivery_key = $1',
        [p.key],
      );
      assert.equal(kept.rows[0].body_key_id, null);
      assert.deepEqual(Buffer.from(kept.rows[0].raw_body), body);
      assert.deepEqual((await sealing.getDelivery(p.key))?.rawBody, body);
    });

    test('a delivery is recorded once; repeats are counted and report the earlier outcome', async () => {
      const s = await open();
      const r = ref();
      assert.deepEqual(await record(s, r), { inserted: true, outcome: 'received' });
      await s.markAccepted([{ key: r.key, workflowId: r.key, runId: 'run-1' }]);
      await s.finishDelivery(r.key, 'completed', 'done');
      assert.deepEqual(await record(s, r), { inserted: false, outcome: 'completed' });
      const row = await s.getDelivery(r.key);
      assert.equal(row?.receiveCount, 2);
      assert.equal(row?.runId, 'run-1');
      assert.deepEqual(row?.rawBody, Buffer.from('{"a":1}'));
      assert.deepEqual(row?.ref, r);
    });

    test('started deliveries are marked accepted in one batch, never over a finished outcome', async () => {
      const s = await open();
      const [a, b, c] = [ref(), ref(), ref()];
      for (const r of [a, b, c]) await record(s, r);
      await s.finishDelivery(c.key, 'completed', 'fast');
      await s.markAccepted(
        [a, b, c].map((r) => ({ key: r.key, workflowId: r.key, runId: `run-${r.deliveryId}` })),
      );
      assert.equal((await s.getDelivery(a.key))?.outcome, 'accepted');
      assert.equal((await s.getDelivery(b.key))?.runId, `run-${b.deliveryId}`);
      assert.equal(
        (await s.getDelivery(c.key))?.outcome,
        'completed',
        'a workflow that finished first keeps its outcome',
      );

      // A run that failed before its (batched) accepted mark arrived stays failed; a new run of a
      // redelivered failed delivery is marked accepted.
      const d = ref();
      await record(s, d);
      await s.finishDelivery(d.key, 'failed', 'boom', 'run-1');
      await s.markAccepted([{ key: d.key, workflowId: d.key, runId: 'run-1' }]);
      const after = await s.getDelivery(d.key);
      assert.deepEqual([after?.outcome, after?.reason], ['failed', 'boom']);
      await s.markAccepted([{ key: d.key, workflowId: d.key, runId: 'run-2' }]);
      assert.equal((await s.getDelivery(d.key))?.outcome, 'accepted');
    });

    test('the runs of a delivery are counted once each, however often a run records its end', async () => {
      const s = await open();
      const r = ref();
      await record(s, r);
      const attempts = async () => (await s.findDeliveries(r.deliveryId))[0]?.attempts;
      assert.equal(await attempts(), 0);
      await s.markAccepted([{ key: r.key, workflowId: r.key, runId: 'run-1' }]);
      assert.equal(await attempts(), 1, 'the run going on counts');
      await s.finishDelivery(r.key, 'failed', 'boom', 'run-1');
      await s.finishDelivery(r.key, 'failed', 'boom', 'run-1'); // its last activity, retried
      assert.equal(await attempts(), 1);
      await s.markAccepted([{ key: r.key, workflowId: r.key, runId: 'run-2' }]);
      assert.equal(await attempts(), 2);
      await s.finishDelivery(r.key, 'completed', 'ok', 'run-2');
      assert.equal(await attempts(), 2);
      const listed = await s.listDeliveries({ status: 'completed', event: r.event, limit: 1000 });
      assert.equal(listed.find((d) => d.workflowId === r.key)?.attempts, 2, 'listed on this store too');
    });

    test("a run's end is recorded first once, however often its last activity is retried", async () => {
      const s = await open();
      const r = ref();
      await record(s, r);
      await s.markAccepted([{ key: r.key, workflowId: r.key, runId: 'run-1' }]);
      assert.deepEqual(await s.finishDelivery(r.key, 'failed', 'boom', 'run-1'), { firstRecord: true });
      assert.deepEqual(
        await s.finishDelivery(r.key, 'failed', 'boom', 'run-1'),
        { firstRecord: false },
        'retried',
      );
      await s.markReplayed(r.key, 'run-2');
      assert.deepEqual(await s.finishDelivery(r.key, 'completed', 'ok', 'run-2'), { firstRecord: true });
      assert.deepEqual(await s.finishDelivery(r.key, 'completed', 'ok', 'run-2'), { firstRecord: false });
    });

    test('a replay selection is frozen once, oldest first, capped, and matches its preview', async () => {
      const s = await open();
      const repository = `octo/${randomUUID().slice(0, 8)}`;
      const refs = [ref({ repository }), ref({ repository }), ref({ repository }), ref({ repository })];
      for (const [i, r] of refs.entries()) {
        await record(s, r);
        await s.db.query(
          `UPDATE deliveries SET received_at = now() - make_interval(mins => $2) WHERE delivery_key = $1`,
          [r.key, 10 - i],
        );
        if (i < 3) await s.finishDelivery(r.key, 'failed', 'boom', `run-${i}`);
      }
      const selection = { status: 'failed', repository };
      const preview = await s.previewReplay(selection, 2, 10);
      assert.equal(preview.matched, 2);
      assert.deepEqual(
        preview.sample.map((d) => d.workflowId),
        [refs[0].key, refs[1].key],
      );
      assert.equal((await s.previewReplay(selection, null, 1)).matched, 3);

      const job = `job-${randomUUID()}`;
      assert.equal(await s.freezeReplaySelection(job, selection, 2), 2);
      await s.finishDelivery(refs[3].key, 'failed', 'boom', 'run-3'); // fails after the job started
      assert.equal(await s.freezeReplaySelection(job, selection, null), 2, 'frozen: a retry finds the same');
      assert.equal((await s.replayJobItem(job, 1))?.deliveryKey, refs[0].key);
      assert.equal((await s.replayJobItem(job, 2))?.deliveryKey, refs[1].key);
      assert.equal(await s.replayJobItem(job, 3), undefined);

      await s.recordReplayJobItem(job, 1, { state: 'replayed', runId: 'run-r' });
      await s.recordReplayJobItem(job, 2, { state: 'refused', reason: 'running now' });
      assert.deepEqual(await s.replayJobItem(job, 2), {
        deliveryKey: refs[1].key,
        state: 'refused',
        runId: null,
        reason: 'running now',
      });
      await s.markReplayed(refs[0].key, 'run-r');
      const counts = {
        processed: 2,
        replayed: 1,
        refused: 1,
        succeeded: 0,
        failed: 0,
        running: 1,
        refusals: [{ deliveryId: refs[1].deliveryId, reason: 'running now' }],
      };
      assert.deepEqual(await s.replayJobCounts(job, 20), counts);
      await s.finishDelivery(refs[0].key, 'completed', 'ok', 'run-r');
      assert.deepEqual(await s.replayJobCounts(job, 20), { ...counts, succeeded: 1, running: 0 });
      assert.deepEqual((await s.replayJobCounts(job, 0)).refusals, []);
    });

    test('ignored deliveries keep no body', async () => {
      const s = await open();
      const r = ref({ event: 'star' });
      assert.deepEqual(await record(s, r, null), { inserted: true, outcome: 'ignored' });
      assert.equal((await s.getDelivery(r.key))?.rawBody, null);
    });

    test('outbox: enqueue, lease exclusively, retry later, done', async () => {
      const s = await open();
      const a = ref();
      const b = ref();
      for (const r of [a, b]) {
        await record(s, r);
        await s.enqueue(r.key, 'Temporal down');
      }
      const depth = await s.outboxDepth();
      assert.ok(depth >= 2);
      assert.equal((await s.getDelivery(a.key))?.outcome, 'queued');
      const [first, second] = await Promise.all([s.leaseOutbox(depth, 60_000), s.leaseOutbox(depth, 60_000)]);
      const leased = [...first, ...second].map((i) => i.ref.key);
      assert.equal(leased.length, depth);
      assert.equal(new Set(leased).size, depth, 'two relays never lease the same item');
      assert.deepEqual(
        await s.leaseOutbox(10, 60_000),
        [],
        'leased items are not due again until the lease ends',
      );
      assert.equal([...first, ...second].find((i) => i.ref.key === a.key)?.workflowType, 'onIssues');
      await s.outboxRetryLater(a.key, 'still down', 0);
      const again = await s.leaseOutbox(10, 60_000);
      assert.deepEqual(
        again.map((i) => [i.ref.key, i.attempts]),
        [[a.key, 2]],
      );
      await s.outboxDone(a.key, a.key, 'run-a');
      assert.equal(await s.outboxDepth(), depth - 1);
      assert.equal((await s.getDelivery(a.key))?.outcome, 'accepted');
    });

    test('a row stranded between record and start is swept into the outbox', async () => {
      const s = await open();
      const r = ref();
      await record(s, r);
      assert.equal(await s.enqueueStranded(60_000), 0, 'a fresh row is not stranded');
      await s.db.query(
        `UPDATE deliveries SET received_at = now() - interval '2 minutes' WHERE delivery_key = $1`,
        [r.key],
      );
      assert.equal(await s.enqueueStranded(60_000), 1);
      assert.equal((await s.getDelivery(r.key))?.outcome, 'queued');
      assert.ok((await s.leaseOutbox(100, 1_000)).some((i) => i.ref.key === r.key));
    });

    test('rows past their retention are purged, with their outbox entries', async () => {
      const s = await open();
      const old = ref();
      const fresh = ref();
      await record(s, old);
      await record(s, fresh);
      await s.enqueue(old.key, 'x');
      const { rows } = await s.db.query<{ days: number }>(
        `SELECT extract(day FROM expires_at - received_at)::int AS days FROM deliveries WHERE delivery_key = $1`,
        [old.key],
      );
      assert.equal(rows[0].days, 4, 'retention is taken from the configuration');
      const depth = await s.outboxDepth();
      await s.db.query(
        `UPDATE deliveries SET expires_at = now() - interval '1 second' WHERE delivery_key = $1`,
        [old.key],
      );
      assert.equal(await s.purgeExpired(), 1);
      assert.equal(await s.getDelivery(old.key), undefined);
      assert.ok(await s.getDelivery(fresh.key));
      assert.equal(await s.outboxDepth(), depth - 1, 'its outbox entry went with it');
    });

    test('installations: unverified, registered, repositories, removed', async () => {
      const s = await open();
      await s.recordDelivery({
        ref: ref({ installation: '7' }),
        contentType: 'json',
        rawBody: Buffer.from('{}'),
        workflowType: 'onIssues',
        noteInstallation: true,
      });
      assert.equal((await s.getInstallation('github', '7'))?.status, 'unverified');
      await record(s, ref({ installation: '8' }));
      assert.equal(await s.getInstallation('github', '8'), undefined, 'only when asked to');
      await s.registerInstallation(
        { provider: 'github', installationId: '7', source: 'github', account: 'acme' },
        [
          { id: 1, fullName: 'acme/a' },
          { id: 2, fullName: 'acme/b' },
        ],
      );
      assert.deepEqual(await s.getInstallation('github', '7'), {
        provider: 'github',
        installationId: '7',
        source: 'github',
        account: 'acme',
        status: 'active',
      });
      const hijack = await s.registerInstallation(
        { provider: 'github', installationId: '7', source: 'github:hook:9', account: 'evil' },
        [{ id: 99, fullName: 'evil/x' }],
      );
      assert.equal(hijack, false, 'another source cannot take an installation over');
      assert.equal((await s.getInstallation('github', '7'))?.source, 'github');
      await s.updateRepositories('github', '7', [{ id: 3, fullName: 'acme/c' }], [1]);
      assert.deepEqual(await s.listRepositories('github', '7'), ['acme/b', 'acme/c']);
      const done = ref({ installation: '7' });
      const inFlight = ref({ installation: '7' });
      await record(s, done);
      await record(s, inFlight);
      await s.finishDelivery(done.key, 'completed', 'ok');
      await s.removeInstallation('github', '7', 'other');
      assert.equal((await s.getInstallation('github', '7'))?.status, 'removed');
      assert.deepEqual(await s.listRepositories('github', '7'), []);
      assert.equal((await s.getDelivery(done.key))?.rawBody, null);
      assert.ok((await s.getDelivery(inFlight.key))?.rawBody, 'a delivery still in flight keeps its payload');
      await s.finishDelivery(inFlight.key, 'completed', 'ok');
      assert.equal((await s.getDelivery(inFlight.key))?.rawBody, null, '…until it finishes');
    });

    test('payload text with U+0000, which PostgreSQL text cannot hold, is stored with U+FFFD in its place', async () => {
      const s = await open();
      const registered = await s.registerInstallation(
        { provider: 'github', installationId: '70', source: 'github', account: 'ac\u0000me' },
        [{ id: 1, fullName: 'acme/a\u0000b' }],
      );
      assert.equal(registered, true);
      assert.equal((await s.getInstallation('github', '70'))?.account, 'ac\uFFFDme');
      await s.updateRepositories('github', '70', [{ id: 2, fullName: 'acme/\u0000c' }], []);
      assert.deepEqual(await s.listRepositories('github', '70'), ['acme/a\uFFFDb', 'acme/\uFFFDc']);

      const r = ref({ installation: '70' });
      await record(s, r);
      await s.enqueue(r.key, 'start failed for ac\u0000me');
      await s.outboxRetryLater(r.key, 'still failing for ac\u0000me', 0);
      await s.finishDelivery(r.key, 'failed', 'account ac\u0000me refused');
      assert.equal((await s.getDelivery(r.key))?.reason, 'account ac\uFFFDme refused');

      const issue = {
        number: 1,
        id: 1,
        url: 'https://api.github.com/repos/acme/a/issues/1',
        title: 'nul \u0000 here',
        state: 'open',
        author: 'ac\u0000me',
        labels: ['bug\u0000'],
        comments: 0,
        createdAt: '2024-01-01T00:00:00Z',
        updatedAt: '2024-01-01T00:00:00Z',
        closedAt: null,
      };
      await upsertIssues(s.db, 'github', 'acme/a', [issue]);
      const { rows } = await s.db.query<{ title: string; author: string }>(
        `SELECT title, author FROM repo_issues WHERE provider = 'github' AND repository = 'acme/a' AND number = 1`,
      );
      assert.deepEqual(rows, [{ title: 'nul \uFFFD here', author: 'ac\uFFFDme' }]);
    });

    test("the ledger's outcomes of a hook's GUIDs: only that provider's and source's", async () => {
      const s = await open();
      const [a, b] = [ref(), ref()];
      const other = ref({
        source: 'github:hook:9',
        key: deliveryKey('github', '9', a.deliveryId),
        hookId: '9',
        deliveryId: a.deliveryId,
      });
      for (const r of [a, b, other]) await record(s, r);
      await s.finishDelivery(b.key, 'failed', 'boom');
      await s.finishDelivery(other.key, 'completed', 'done');
      const outcomes = await outcomesOf(s.db, 'github', 'github', [a.deliveryId, b.deliveryId, 'never-seen']);
      assert.deepEqual(
        [...outcomes].sort(),
        [
          [a.deliveryId, 'received'],
          [b.deliveryId, 'failed'],
        ].sort(),
      );
      assert.deepEqual(
        await outcomesOf(s.db, 'github', 'github:hook:9', [a.deliveryId]),
        new Map([[a.deliveryId, 'completed']]),
      );
      assert.deepEqual(await outcomesOf(s.db, 'github', 'github', []), new Map());
    });

    test('reconciliation: the watermark only moves forward; a gap is noted once per watermark', async () => {
      const s = await open();
      const source = `hook:${randomUUID()}`;
      assert.equal(await readWatermark(s.db, source), undefined);
      await advanceWatermark(s.db, source, new Date('2026-01-02T00:00:00Z'));
      await advanceWatermark(s.db, source, new Date('2026-01-01T00:00:00Z'));
      assert.equal((await readWatermark(s.db, source))?.toISOString(), '2026-01-02T00:00:00.000Z');
      const from = new Date('2026-01-02T00:00:00Z');
      assert.equal(await noteGap(s.db, source, from), true);
      assert.equal(await noteGap(s.db, source, from), false, 'the same gap again');
      await advanceWatermark(s.db, source, new Date('2026-01-03T00:00:00Z'));
      assert.equal(await noteGap(s.db, source, new Date('2026-01-03T00:00:00Z')), true, 'a new gap');
    });

    test('reconciliation: a GUID is claimed once; settled, released, or taken again only when stale or by its own activity', async () => {
      const s = await open();
      const source = `hook:${randomUUID()}`;
      const claim = (guid: string, claimant: string, staleAfterMs = 60_000) =>
        claimRedelivery(s.db, { source, guid, attemptId: '11', claimant, staleAfterMs });
      assert.deepEqual(await claim('g1', 'pass-a/act-1'), { taken: true });
      assert.deepEqual(await claim('g1', 'pass-b/act-1'), { taken: false, state: 'sending', mine: false });
      // The same activity's retry, its earlier attempt dead before asking: it takes its claim again.
      assert.deepEqual(await claim('g1', 'pass-a/act-1'), { taken: true });
      // A claim older than the bound is a dead worker's: anyone takes it.
      assert.deepEqual(await claim('g1', 'pass-b/act-1', 0), { taken: true });
      assert.deepEqual(await claim('g1', 'pass-a/act-1'), { taken: false, state: 'sending', mine: false });

      await settleRedelivery(s.db, source, 'g1', 'unconfirmed', 'aborted');
      assert.deepEqual(await claim('g1', 'pass-b/act-1', 0), {
        taken: false,
        state: 'unconfirmed',
        mine: true,
      });
      assert.deepEqual(await claim('g1', 'pass-c/act-1', 0), {
        taken: false,
        state: 'unconfirmed',
        mine: false,
      });

      assert.deepEqual(await claim('g2', 'pass-a/act-2'), { taken: true });
      await releaseRedelivery(s.db, source, 'g2');
      assert.deepEqual(await claim('g2', 'pass-b/act-2'), { taken: true });
      await settleRedelivery(s.db, source, 'g2', 'sent');
      await releaseRedelivery(s.db, source, 'g2');
      assert.equal((await askedFor(s.db, source, ['g2'])).get('g2')?.state, 'sent', 'a settled claim stays');

      const asked = await askedFor(s.db, source, ['g1', 'g2', 'g3']);
      assert.deepEqual([...asked].map(([g, a]) => [g, a.state]).sort(), [
        ['g1', 'unconfirmed'],
        ['g2', 'sent'],
      ]);
      assert.ok(
        [...asked.values()].every((a) => a.askedAt instanceof Date && !Number.isNaN(a.askedAt.getTime())),
      );
      assert.deepEqual(await askedFor(s.db, source, []), new Map());

      await purgeRedeliveries(s.db, 60_000);
      assert.equal((await askedFor(s.db, source, ['g1'])).size, 1, 'young requests are kept');
      await purgeRedeliveries(s.db, 0);
      assert.equal((await askedFor(s.db, source, ['g1', 'g2'])).size, 0);
    });

    test('reconciliation: a GUID past the window is counted once, however often a pass lists it', async () => {
      const s = await open();
      const source = `hook:${randomUUID()}`;
      const expired = [
        { guid: 'old-1', attemptId: '1' },
        { guid: 'old-2', attemptId: '2' },
      ];
      assert.equal(await recordExpired(s.db, source, expired, 'pass-a'), 2);
      assert.equal(
        await recordExpired(s.db, source, expired, 'pass-a'),
        2,
        "a retry of the same pass's scan",
      );
      assert.equal(
        await recordExpired(s.db, source, [...expired, { guid: 'old-3', attemptId: '3' }], 'pass-b'),
        1,
      );
      assert.equal(await recordExpired(s.db, source, [], 'pass-c'), 0);
      assert.equal((await askedFor(s.db, source, ['old-1'])).get('old-1')?.state, 'expired');
      // A GUID asked for is not turned into an expired one.
      await claimRedelivery(s.db, { source, guid: 'asked', attemptId: '4', claimant: 'x', staleAfterMs: 1 });
      await settleRedelivery(s.db, source, 'asked', 'sent');
      assert.equal(await recordExpired(s.db, source, [{ guid: 'asked', attemptId: '4' }], 'pass-d'), 0);
      assert.equal((await askedFor(s.db, source, ['asked'])).get('asked')?.state, 'sent');
    });

    test('reconciliation: a failed delivery is replayed once; a retry of the same activity may take it again', async () => {
      const s = await open();
      const source = `hook:${randomUUID()}`;
      assert.equal(await claimReplay(s.db, source, 'f1', 'pass-a/act-1'), true);
      assert.equal(await claimReplay(s.db, source, 'f1', 'pass-b/act-1'), false);
      assert.equal(await claimReplay(s.db, source, 'f1', 'pass-a/act-1'), true);
      await settleReplay(s.db, source, 'f1', { state: 'replayed', runId: 'run-1' });
      assert.equal(await claimReplay(s.db, source, 'f1', 'pass-a/act-1'), false, 'replayed: never again');
      assert.equal(await claimReplay(s.db, source, 'f2', 'pass-a/act-1'), true);
      await releaseReplay(s.db, source, 'f2');
      assert.equal(await claimReplay(s.db, source, 'f3', 'pass-a/act-1'), true);
      await settleReplay(s.db, source, 'f3', { state: 'refused', reason: 'running now' });
      assert.deepEqual([...(await replayedFor(s.db, source, ['f1', 'f2', 'f3', 'f4']))].sort(), ['f1', 'f3']);
      assert.deepEqual(await replayedFor(s.db, source, []), new Set());
      const { rows } = await s.db.query<{
        guid: string;
        state: string;
        run_id: string | null;
        reason: string | null;
      }>('SELECT guid, state, run_id, reason FROM reconcile_replays WHERE source = $1 ORDER BY guid', [
        source,
      ]);
      assert.deepEqual(rows, [
        { guid: 'f1', state: 'replayed', run_id: 'run-1', reason: null },
        { guid: 'f3', state: 'refused', run_id: null, reason: 'running now' },
      ]);
      await purgeRedeliveries(s.db, 0);
      assert.equal((await replayedFor(s.db, source, ['f1', 'f3'])).size, 0);
    });

    test("a handler's request is claimed by one attempt at a time; a stale claim is taken over; the answer ends it", async () => {
      const s = await open();
      const r = ref();
      await record(s, r);
      const scope = { deliveryKey: r.key, runId: 'run-1', handler: 'issues.opened#1' };
      const request = {
        method: 'POST',
        url: '/repos/a/b/issues/1/comments',
        body: '{}',
        accept: undefined,
        occurrence: 0,
      };
      const minute = 60_000;
      assert.deepEqual(await journal.claim(s.db, scope, request, 'a1', minute), { taken: true });
      assert.deepEqual(await journal.claim(s.db, scope, request, 'a1', minute), { taken: true }, 'its own');
      const held = await journal.claim(s.db, scope, request, 'a2', minute);
      assert.ok(
        !held.taken && held.claimer === 'a1' && held.ageMs >= 0 && held.ageMs < minute,
        JSON.stringify(held),
      );
      assert.deepEqual(
        await journal.claim(s.db, scope, { ...request, occurrence: 1 }, 'a2', minute),
        { taken: true },
        'the second identical request is a request of its own',
      );
      await journal.release(s.db, scope, request, 'a2'); // not attempt 2's to release
      assert.equal((await journal.claim(s.db, scope, request, 'a3', minute)).taken, false);
      assert.deepEqual(await journal.claim(s.db, scope, request, 'a3', 0), {
        taken: true,
        tookOverFrom: 'a1',
      });
      await journal.release(s.db, scope, request, 'a3');
      assert.deepEqual(await journal.claim(s.db, scope, request, 'a4', minute), { taken: true }, 'released');
      const answer = { status: 201, data: { id: 7 }, link: undefined, contentType: 'application/json' };
      await journal.record(s.db, scope, request, answer);
      assert.deepEqual(
        await journal.claim(s.db, scope, request, 'a5', minute),
        { taken: true },
        'recorded: no claim left',
      );
      assert.deepEqual(await journal.lookUp(s.db, scope, request), {
        status: 201,
        data: { id: 7 },
        contentType: 'application/json',
      });
    });
  });
}

describe('storage errors', () => {
  test('an unreachable PostgreSQL is reported as unavailable, not as a bug', async () => {
    const { isStorageUnavailable } = await import('../lib/storage');
    const db = openPostgres('postgres://127.0.0.1:1/nothing');
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    assert.ok(isStorageUnavailable(err), String(err));
    await db.close();
    assert.equal(isStorageUnavailable(new Error('syntax error at or near "SELEC"')), false);
  });
});

describe('the PostgreSQL pool', () => {
  /** The distinct backends that 8 concurrent queries ran on. */
  const backends = async (store: Store) => {
    const pids = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.db
          .query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')
          .then((r) => r.rows[0].pid),
      ),
    );
    return new Set(pids).size;
  };

  test('HOOKFLOW_DB_POOL_SIZE bounds the connections a process opens; unset, the default applies', async () => {
    const databaseUrl = await freshSchemaUrl();
    const small = await openStore({ databaseUrl, dataDir: '', ledgerRetentionDays: 4, databasePoolSize: 2 });
    const usual = await openStore({ databaseUrl, dataDir: '', ledgerRetentionDays: 4 });
    try {
      assert.equal(await backends(small), 2);
      assert.equal(await backends(usual), 8);
    } finally {
      await Promise.all([small.db.close(), usual.db.close()]);
    }
  });
});

describe('a PostgreSQL connection lost while checked out', () => {
  // node-postgres emits a checked-out client's lost connection as an 'error' event on the client:
  // unheard, it is an uncaught exception and the process ends (seen in the cluster tier, where
  // PostgreSQL connections are terminated under load).
  for (const kind of ['session', 'transaction'] as const) {
    test(`in a ${kind}: the work fails, the process goes on, the next query gets a new connection`, async () => {
      const db = openPostgres(await freshSchemaUrl(), 2);
      try {
        const work = async (q: Queryable) => {
          const { rows } = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          const killed = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [
            rows[0].pid,
          ]);
          assert.equal(killed.rows[0].ok, true);
          // Between queries: the connection ends while the client is out of the pool.
          await waitFor('the connection to end', async () => {
            const { rows: left } = await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [
              rows[0].pid,
            ]);
            return left.length === 0 ? true : undefined;
          });
          await q.query('SELECT 1');
        };
        const err = await (kind === 'session' ? db.session(work) : db.transaction(work)).catch(
          (e: unknown) => e,
        );
        // As the store's callers see it: unavailable, not a bug.
        assert.ok(isStorageUnavailable(err), String(err));
        const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
        assert.equal(rows[0].one, 1);
      } finally {
        await db.close();
      }
    });
  }
});
