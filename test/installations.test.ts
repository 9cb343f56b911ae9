// Sources and installations: per-hook secrets (a payload is verified before anything else), the
// installation lifecycle (install registers, uninstall deletes what was stored), unverified
// installations, and a declaratively configured second provider.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sign } from '../server/signature';
import { deliveryKeyOf, githubDelivery, type Delivery } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { LEADHUB, TRULINKS } from './helpers/providers';

function trulinks(event: string, payload: unknown, secret = 'trulinks-secret'): Delivery {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-trulinks-delivery': randomUUID(),
      'x-trulinks-event': event,
      'x-trulinks-signature': sign({ algorithm: 'sha256', prefix: 'v1=', encoding: 'base64' }, secret, body),
    },
  };
}

const repo = (id: number, name: string) => ({ id, full_name: name, name: name.split('/')[1] });

describe('sources and installations', () => {
  let h: Harness;
  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-sources-'));
    const file = path.join(dir, 'sources.json');
    // A second declarative provider whose event sits in the payload (`type`), signed hex without a prefix.
    writeFileSync(
      file,
      JSON.stringify({
        hooks: [{ hookId: '777', secrets: ['hook-777-secret'] }],
        providers: [TRULINKS, LEADHUB],
      }),
    );
    h = await startHookflow({ env: { HOOKFLOW_SOURCES_FILE: file } });
  });
  after(() => h.close());

  test('a registered hook answers only to its own secret', async () => {
    const payload = { action: 'opened', issue: { number: 1 } };
    const withDefault = await h.post(githubDelivery({ event: 'issues', payload, hookId: '777' }));
    assert.equal(withDefault.status, 401);
    const withOwn = await h.post(
      githubDelivery({ event: 'issues', payload, hookId: '777', secret: 'hook-777-secret' }),
    );
    assert.equal(withOwn.status, 202);
    const ownOnDefault = await h.post(
      githubDelivery({ event: 'issues', payload, secret: 'hook-777-secret' }),
    );
    assert.equal(ownOnDefault.status, 401);
  });

  test('installation lifecycle: created registers, repositories follow, deleted removes its data', async () => {
    const id = 4000 + Math.floor(Math.random() * 1000);
    const installation = { id, account: { login: 'acme' } };
    const created = await h.post(
      githubDelivery({
        event: 'installation',
        payload: {
          action: 'created',
          installation,
          repositories: [repo(1, 'acme/api'), repo(2, 'acme/web')],
        },
      }),
    );
    assert.equal(created.status, 202);
    await h.waitForOutcome(String(created.body.workflowId), 'completed');
    assert.equal((await h.store.getInstallation('github', String(id)))?.status, 'active');
    assert.deepEqual(await h.store.listRepositories('github', String(id)), ['acme/api', 'acme/web']);

    const changed = await h.post(
      githubDelivery({
        event: 'installation_repositories',
        payload: {
          action: 'added',
          installation,
          repositories_added: [repo(3, 'acme/cli')],
          repositories_removed: [repo(1, 'acme/api')],
        },
      }),
    );
    await h.waitForOutcome(String(changed.body.workflowId), 'completed');
    assert.deepEqual(await h.store.listRepositories('github', String(id)), ['acme/cli', 'acme/web']);

    // The installation belongs to the default hook: another hook's secret cannot speak for it.
    const foreign = await h.post(
      githubDelivery({
        event: 'issues',
        payload: { action: 'opened', installation },
        hookId: '777',
        secret: 'hook-777-secret',
      }),
    );
    assert.equal(foreign.status, 403);
    assert.match(String(foreign.body.error), /another hook/);

    const issue = await h.post(
      githubDelivery({ event: 'issues', payload: { action: 'opened', installation, issue: { number: 5 } } }),
    );
    await h.waitForOutcome(String(issue.body.workflowId), 'completed');

    const deleted = await h.post(
      githubDelivery({ event: 'installation', payload: { action: 'deleted', installation } }),
    );
    await h.waitForOutcome(String(deleted.body.workflowId), 'completed');
    assert.equal((await h.store.getInstallation('github', String(id)))?.status, 'removed');
    assert.deepEqual(await h.store.listRepositories('github', String(id)), []);
    assert.equal(
      (await h.store.getDelivery(String(issue.body.workflowId)))?.rawBody,
      null,
      'payloads of an uninstalled installation are deleted',
    );

    const after = await h.post(
      githubDelivery({ event: 'issues', payload: { action: 'opened', installation } }),
    );
    assert.equal(after.status, 403);
    assert.match(String(after.body.error), /uninstalled/);
  });

  /** The attempts the delivery's `activityType` took, from its workflow's history. */
  async function attempts(workflowId: string, activityType: string): Promise<number[]> {
    const { events } = await h.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Map<string, string>();
    const found: number[] = [];
    for (const e of events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
      const started = e.activityTaskStartedEventAttributes;
      if (started && scheduled.get(String(started.scheduledEventId)) === activityType)
        found.push(started.attempt ?? 0);
    }
    return found;
  }

  test('an account login with U+0000, which PostgreSQL text cannot hold, registers at the first attempt', async () => {
    const id = 5000 + Math.floor(Math.random() * 1000);
    const created = await h.post(
      githubDelivery({
        event: 'installation',
        payload: {
          action: 'created',
          installation: { id, account: { login: 'ac\u0000me' } },
          repositories: [repo(1, 'acme/a\u0000pi')],
        },
      }),
    );
    assert.equal(created.status, 202);
    const workflowId = String(created.body.workflowId);
    await h.waitForOutcome(workflowId, 'completed');
    const installation = await h.store.getInstallation('github', String(id));
    assert.deepEqual([installation?.status, installation?.account], ['active', 'ac\uFFFDme']);
    assert.deepEqual(await h.store.listRepositories('github', String(id)), ['acme/a\uFFFDpi']);
    assert.deepEqual(await attempts(workflowId, 'registerInstallation'), [1]);
  });

  test('a write the database refuses for its data fails the delivery after one attempt, not five', async () => {
    const id = 6000 + Math.floor(Math.random() * 1000);
    // A repository ID that is no bigint: PostgreSQL refuses it (SQLSTATE 22P02), and would every time.
    const created = await h.post(
      githubDelivery({
        event: 'installation',
        payload: {
          action: 'created',
          installation: { id, account: { login: 'acme' } },
          repositories: [repo(1.5, 'acme/api')],
        },
      }),
    );
    assert.equal(created.status, 202);
    const workflowId = String(created.body.workflowId);
    await h.waitForOutcome(workflowId, 'failed');
    assert.match(String((await h.store.getDelivery(workflowId))?.reason), /SQLSTATE 22P02/);
    assert.deepEqual(await attempts(workflowId, 'registerInstallation'), [1]);
    assert.notEqual((await h.store.getInstallation('github', String(id)))?.status, 'active');
  });

  test('a hook with its own secret cannot introduce (claim) an installation hookflow has not seen', async () => {
    const id = 8_000_000 + Math.floor(Math.random() * 100_000);
    const res = await h.post(
      githubDelivery({
        event: 'installation',
        payload: { action: 'created', installation: { id } },
        hookId: '777',
        secret: 'hook-777-secret',
      }),
    );
    assert.equal(res.status, 403);
    assert.match(String(res.body.error), /not registered to this hook/);
    assert.equal(await h.store.getInstallation('github', String(id)), undefined);
  });

  test('an installation hookflow has not seen is accepted and recorded as unverified', async () => {
    const id = String(9_000_000 + Math.floor(Math.random() * 100_000));
    const res = await h.post(
      githubDelivery({ event: 'issues', payload: { action: 'opened', installation: { id: Number(id) } } }),
    );
    assert.equal(res.status, 202);
    assert.equal((await h.store.getInstallation('github', id))?.status, 'unverified');
    await h.waitForOutcome(String(res.body.workflowId), 'completed');
  });

  test('declarative provider: a known location is accepted and its workflow completes', async () => {
    const d = trulinks('ContactCreate', { type: 'ContactCreate', locationId: 'loc-1', id: 'c-1' });
    const res = await h.post(d, TRULINKS.path);
    assert.equal(res.status, 202);
    assert.equal(res.body.workflowId, deliveryKeyOf('trulinks', d.headers['x-trulinks-delivery']));
    await h.waitForOutcome(String(res.body.workflowId), 'completed');
    const desc = await h.client.workflow.getHandle(String(res.body.workflowId)).describe();
    assert.deepEqual(desc.searchAttributes.HookflowInstallation, ['loc-1']);
    assert.deepEqual(desc.searchAttributes.HookflowProvider, ['trulinks']);
  });

  test('declarative provider: unknown location 403, bad signature 401, unhandled event ignored, missing header 400', async () => {
    const unknown = await h.post(trulinks('ContactCreate', { locationId: 'loc-evil' }), TRULINKS.path);
    assert.equal(unknown.status, 403);
    assert.match(String(unknown.body.error), /unknown locationId loc-evil/);

    const badSig = await h.post(trulinks('ContactCreate', { locationId: 'loc-1' }, 'wrong'), TRULINKS.path);
    assert.equal(badSig.status, 401);

    const ignored = await h.post(trulinks('OpportunityCreate', { locationId: 'loc-1' }), TRULINKS.path);
    assert.equal(ignored.status, 202);
    assert.equal(ignored.body.status, 'ignored');

    const d = trulinks('ContactCreate', { locationId: 'loc-1' });
    delete d.headers['x-trulinks-event'];
    const missing = await h.post(d, TRULINKS.path);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'missing headers: X-Trulinks-Event');
  });

  test('declarative provider with the event in the payload (eventField) and a nested location', async () => {
    const send = async (payload: unknown) => {
      const body = Buffer.from(JSON.stringify(payload));
      return h.post(
        {
          body,
          headers: {
            'content-type': 'application/json',
            'x-webhook-id': randomUUID(),
            'x-webhook-signature': sign(
              { algorithm: 'sha256', prefix: '', encoding: 'hex' },
              'leadhub-secret',
              body,
            ),
          },
        },
        '/api/leadhub/webhooks',
      );
    };
    const ok = await send({ type: 'ContactCreate', location: { id: 'L1' } });
    assert.equal(ok.status, 202);
    await h.waitForOutcome(String(ok.body.workflowId), 'completed');
    assert.equal((await send({ type: 'ContactCreate', location: { id: 'L2' } })).status, 403);
    const noEvent = await send({ location: { id: 'L1' } });
    assert.equal(noEvent.status, 400);
    assert.match(String(noEvent.body.error), /no valid event name in type/);
  });
});
