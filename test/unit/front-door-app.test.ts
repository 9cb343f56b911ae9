// The front door's answers, step by step, through the real Koa app and HTTP server but with
// in-memory stand-ins for the ledger and for Temporal: no Temporal, no PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DeliveryOutcome, DeliveryRef } from '../../lib/contracts/delivery-ref';
import { createLogger } from '../../lib/logger';
import { declarativeProviderSchema } from '../../lib/sources-file';
import type { Installation, LedgerInsert } from '../../lib/storage/store';
import { createApp, createHttpServer } from '../../server/app';
import { declarativeProvider, githubProvider } from '../../server/providers';
import { GITHUB_SHA256, sign } from '../../server/signature';
import { startLauncher } from '../../server/launcher';
import type { StartResult, WorkflowStarter } from '../../server/starter';
import { temporalHealth } from '../../server/temporal-health';
import { deliveryKeyOf, githubDelivery, githubKeyOf, post, type Delivery } from '../helpers/deliveries';
import { PROTOTYPE_EVENTS, TRULINKS as TRULINKS_CONFIG } from '../helpers/providers';

/** The ledger methods the front door calls, kept in a Map. */
function fakeLedger(installations: Installation[] = []) {
  const rows = new Map<
    string,
    { outcome: DeliveryOutcome; workflowType: string | null; installation: string | null }
  >();
  const enqueued: string[] = [];
  let down = false;
  const failIfDown = () => {
    if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  };
  return {
    rows,
    enqueued,
    setDown(value: boolean) {
      down = value;
    },
    async ping(): Promise<void> {
      failIfDown();
      await Promise.resolve();
    },
    async recordDelivery(d: LedgerInsert): Promise<{ inserted: boolean; outcome: DeliveryOutcome }> {
      failIfDown();
      await Promise.resolve();
      assert.ok(d.workflowType === null || typeof d.workflowType === 'string', 'workflow type is a name');
      const known = rows.get(d.ref.key);
      if (known) return { inserted: false, outcome: known.outcome };
      const outcome = d.workflowType === null ? 'ignored' : 'received';
      rows.set(d.ref.key, { outcome, workflowType: d.workflowType, installation: d.ref.installation });
      return { inserted: true, outcome };
    },
    async getInstallation(provider: string, installationId: string): Promise<Installation | undefined> {
      failIfDown();
      await Promise.resolve();
      return installations.find((i) => i.provider === provider && i.installationId === installationId);
    },
    async enqueue(key: string): Promise<void> {
      failIfDown();
      await Promise.resolve();
      enqueued.push(key);
      const row = rows.get(key);
      if (row) row.outcome = 'queued';
    },
  };
}

/** A gRPC error as the Temporal client throws it (the shape `isGrpcServiceError` checks). */
const grpcError = (code: number, message: string): Error =>
  Object.assign(new Error(message), { code, details: message, metadata: {} });

/**
 * A Temporal stand-in: remembers every start, and answers a second start of an ID as a duplicate.
 * `hold(key)` keeps that key's starts waiting until `release(key, err?)`.
 */
function fakeStarter() {
  const starts: { ref: DeliveryRef; workflowType: string }[] = [];
  const calls: string[] = [];
  const held = new Map<string, { waiting: (() => void)[]; err?: Error | undefined }>();
  let refuse: Error | undefined;
  const starter: WorkflowStarter & {
    starts: typeof starts;
    calls: typeof calls;
    refuseWith(err: Error | undefined): void;
    hold(key: string): void;
    release(key: string, err?: Error): void;
  } = {
    starts,
    calls,
    refuseWith(err) {
      refuse = err;
    },
    hold(key) {
      held.set(key, { waiting: [] });
    },
    release(key, err) {
      const h = held.get(key);
      held.delete(key);
      if (h) h.err = err;
      for (const go of h?.waiting ?? []) go();
    },
    async start(ref, workflowType): Promise<StartResult> {
      calls.push(ref.key);
      await Promise.resolve();
      const h = held.get(ref.key);
      if (h) {
        await new Promise<void>((resolve) => h.waiting.push(resolve));
        if (h.err) throw h.err;
      }
      if (refuse) throw refuse;
      assert.equal(typeof workflowType, 'string', 'a workflow type is a name');
      if (starts.some((s) => s.ref.key === ref.key)) return { kind: 'duplicate', workflowId: ref.key };
      starts.push({ ref, workflowType });
      return { kind: 'started', workflowId: ref.key, runId: `run-${starts.length}` };
    },
    async ping() {
      await Promise.resolve();
    },
    async drain() {
      await Promise.resolve();
    },
    path: () => 'javascript',
  };
  return starter;
}

const TRULINKS = declarativeProviderSchema.parse(TRULINKS_CONFIG);

/** Waits for a condition the stand-ins make true within a few turns of the event loop. */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), 'condition never became true');
}

function trulinks(event: string, payload: unknown): Delivery {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-trulinks-delivery': randomUUID(),
      'x-trulinks-event': event,
      'x-trulinks-signature': sign(TRULINKS.signature, 'trulinks-secret', body),
    },
  };
}

const issue = { action: 'opened', issue: { number: 1 }, repository: { full_name: 'acme/api' } };

describe('the front door app, with in-memory stand-ins', () => {
  const ledger = fakeLedger();
  const starter = fakeStarter();
  const health = temporalHealth();
  const accepted: { key: string; runId: string | null }[] = [];
  const acceptedWriter = {
    add(key: string, _workflowId: string, runId: string | null) {
      accepted.push({ key, runId });
      const row = ledger.rows.get(key);
      if (row) row.outcome = 'accepted';
    },
    flush: () => Promise.resolve(),
  };
  // Warnings and errors the front door logs, parsed.
  const logged: { msg: string; err?: { type?: string; message?: string; stack?: string } }[] = [];
  let url = '';
  let close: () => Promise<void> = () => Promise.resolve();
  const log = createLogger('warn', 'test', {
    write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]),
  });
  const launcher = startLauncher(
    { store: ledger, starter, health, accepted: acceptedWriter, logger: log },
    4,
  );

  /** The app, answering after the ledger write (the default) or after the start too. */
  const build = (ackAfter?: 'start') =>
    createApp({
      ...(ackAfter ? { ackAfter } : {}),
      providers: [
        githubProvider({
          webhookPath: '/api/github/webhooks',
          // Mid-rotation: the newest first, the one being rotated away still accepted.
          webhookSecrets: ['test-secret', 'previous-secret'],
          webhookAllowSha1: false,
          sources: { hooks: [], providers: [] },
        }),
        declarativeProvider(TRULINKS),
      ],
      store: ledger,
      starter,
      health,
      accepted: acceptedWriter,
      launcher,
      logger: log,
      bodyLimitBytes: 4096,
    });
  let startUrl = '';
  before(async () => {
    const listen = async (ackAfter?: 'start') => {
      const server = createHttpServer(build(ackAfter), 5_000, undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop };
    };
    const [byRecord, byStart] = await Promise.all([listen(), listen('start')]);
    url = byRecord.url;
    startUrl = byStart.url;
    close = async () => {
      await Promise.all([byRecord.stop(), byStart.stop()]);
    };
  });
  after(() => close());

  const github = (d: Delivery) => post(`${url}/api/github/webhooks`, d);
  const startedKeys = () => starter.starts.map((s) => s.ref.key);

  test('415 for another content type, naming it', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    d.headers['content-type'] = 'text/plain';
    const res = await github(d);
    assert.equal(res.status, 415);
    assert.match(String(res.body.error), /"text\/plain"/);
  });

  test('413 for a body over the limit', async () => {
    const res = await github(
      githubDelivery({ event: 'issues', payload: { ...issue, pad: 'x'.repeat(5000) } }),
    );
    assert.equal(res.status, 413);
    assert.deepEqual(res.body, { error: 'body larger than the 4096-byte limit' });
  });

  test('400 naming every missing header', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    delete d.headers['x-github-event'];
    delete d.headers['x-github-delivery'];
    delete d.headers['x-hub-signature-256'];
    const res = await github(d);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'missing headers: X-GitHub-Delivery, X-GitHub-Event, X-Hub-Signature-256',
    });
  });

  test('400 for a hook ID, delivery ID or event name that cannot be one', async () => {
    const hook = await github(githubDelivery({ event: 'issues', payload: issue, hookId: 'abc' }));
    assert.deepEqual([hook.status, hook.body], [400, { error: 'X-GitHub-Hook-Id is not a numeric hook ID' }]);
    const id = await github(githubDelivery({ event: 'issues', payload: issue, id: '../x' }));
    assert.deepEqual([id.status, id.body], [400, { error: 'X-GitHub-Delivery is not a valid delivery ID' }]);
    const event = await github(githubDelivery({ event: '../x', payload: issue }));
    assert.deepEqual(
      [event.status, event.body],
      [400, { error: 'X-GitHub-Event is not a valid event name' }],
    );
  });

  test('401 for a wrong secret and for a malformed signature', async () => {
    const wrong = await github(githubDelivery({ event: 'issues', payload: issue, secret: 'nope' }));
    assert.deepEqual(
      [wrong.status, wrong.body],
      [401, { error: 'X-Hub-Signature-256 does not match the body: check the webhook secret' }],
    );
    const d = githubDelivery({ event: 'issues', payload: issue });
    d.headers['x-hub-signature-256'] = 'sha256=abc';
    const malformed = await github(d);
    assert.deepEqual(
      [malformed.status, malformed.body],
      [401, { error: 'X-Hub-Signature-256 is malformed' }],
    );
    assert.equal(ledger.rows.has(githubKeyOf(d)), false);
  });

  test('400 for a signed body that is not a JSON object, or a form without its payload field', async () => {
    for (const [raw, error] of [
      ['not json', 'body is not valid JSON'],
      ['[1,2]', 'body is not a JSON object'],
      ['null', 'body is not a JSON object'],
    ]) {
      const body = Buffer.from(raw);
      const res = await github({
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': sign(GITHUB_SHA256, 'test-secret', body),
        },
      });
      assert.deepEqual([res.status, res.body], [400, { error }], raw);
    }
    const form = Buffer.from('nopayload=1');
    const res = await github({
      body: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(GITHUB_SHA256, 'test-secret', form),
      },
    });
    assert.deepEqual([res.status, res.body], [400, { error: 'form-encoded body has no "payload" field' }]);
  });

  test('400 for an installation field that is there but holds no usable ID; absent or null is no installation', async () => {
    // Unsafe integers and non-scalars were once read as "no installation" and accepted.
    const bad: [string, unknown][] = [
      ['2^53 + 1', { id: Number.MAX_SAFE_INTEGER + 2 }],
      ['1e300', { id: 1e300 }],
      ['{}', { id: {} }],
      ['true', { id: true }],
      ['[42]', { id: [42] }],
      ['no id', {}],
      ['a string', 'acme'],
      ['an empty id', { id: '' }],
    ];
    for (const [what, installation] of bad) {
      const d = githubDelivery({ event: 'issues', payload: { ...issue, installation } });
      const res = await github(d);
      assert.deepEqual(
        [res.status, res.body],
        [
          400,
          {
            error:
              'payload installation.id is not a valid installation ID: it must be a whole number or an ID string',
          },
        ],
        what,
      );
      assert.equal(ledger.rows.has(githubKeyOf(d)), false, what);
    }
    for (const installation of [undefined, null]) {
      const d = githubDelivery({ event: 'issues', payload: { ...issue, installation } });
      const res = await github(d);
      assert.equal(res.status, 202, String(installation));
      assert.equal(ledger.rows.get(githubKeyOf(d))?.installation, null);
    }
  });

  test('ping is answered 200 and records and starts nothing', async () => {
    const d = githubDelivery({ event: 'ping', payload: { zen: 'Keep it logically awesome.' } });
    const res = await github(d);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      status: 'ok',
      message: 'pong: hookflow received the ping and started nothing',
    });
    assert.equal(ledger.rows.has(githubKeyOf(d)), false);
  });

  test('mid-rotation, the older secret verifies deliveries, but a ping it signs is not a success', async () => {
    // A rotation waits for a ping signed with the new secret: one signed with the old must not pass for it.
    const ping = await github(
      githubDelivery({ event: 'ping', payload: { zen: 'hi' }, secret: 'previous-secret' }),
    );
    assert.equal(ping.status, 409);
    assert.match(String(ping.body.error), /rotated away/);
    assert.equal((await github(githubDelivery({ event: 'ping', payload: { zen: 'hi' } }))).status, 200);
    const d = githubDelivery({ event: 'star', payload: { action: 'created' }, secret: 'previous-secret' });
    assert.equal((await github(d)).status, 202);
  });

  test('202 ignored for an event nobody handles: recorded, not started', async () => {
    const d = githubDelivery({ event: 'star', payload: { action: 'created' } });
    const res = await github(d);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { status: 'ignored', reason: 'no workflow handles star events' });
    assert.equal(ledger.rows.get(githubKeyOf(d))?.outcome, 'ignored');
    assert.equal(startedKeys().includes(githubKeyOf(d)), false);
  });

  test('202 accepted once recorded, the workflow starts after the answer, then the same delivery is a duplicate', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    const key = githubKeyOf(d);
    // Held: the answer comes while the start has not even finished.
    starter.hold(key);
    const res = await github(d);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { status: 'accepted', workflowId: key });
    assert.equal(ledger.rows.get(key)?.outcome, 'received');
    assert.equal(
      starter.starts.some((s) => s.ref.key === key),
      false,
    );
    starter.release(key);
    await launcher.drain();
    assert.equal(starter.starts.find((s) => s.ref.key === key)?.workflowType, 'onIssues');
    assert.equal(accepted.at(-1)?.key, key);

    // Started and marked accepted: the ledger answers, Temporal is not asked.
    const calls = starter.calls.length;
    const again = await github(d);
    assert.deepEqual([again.status, again.body], [200, { status: 'duplicate', workflowId: key }]);
    assert.equal(starter.calls.length, calls);

    // Still `received` in the ledger (the copy that recorded it is starting it): the ledger answers alone.
    const other = githubDelivery({ event: 'issues', payload: issue });
    ledger.rows.set(githubKeyOf(other), {
      outcome: 'received',
      workflowType: 'onIssues',
      installation: null,
    });
    const repeat = await github(other);
    assert.deepEqual(
      [repeat.status, repeat.body],
      [200, { status: 'duplicate', workflowId: githubKeyOf(other) }],
    );
    assert.equal(starter.calls.includes(githubKeyOf(other)), false);
  });

  test('HOOKFLOW_ACK_AFTER=start answers once the workflow has started, naming its run', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    const key = githubKeyOf(d);
    starter.hold(key);
    const answer = post(`${startUrl}/api/github/webhooks`, d);
    await waitUntil(() => starter.calls.includes(key));
    assert.equal(
      starter.starts.some((s) => s.ref.key === key),
      false,
      'not started yet',
    );
    starter.release(key);
    const res = await answer;
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'accepted');
    assert.match(String(res.body.runId), /^run-\d+$/);
    assert.equal(launcher.pending(), 0);
  });

  test('many copies of a delivery whose run is in flight are answered from the ledger, with no start', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    const key = githubKeyOf(d);
    await github(d);
    await launcher.drain();
    const calls = starter.calls.length;
    const copies = await Promise.all(Array.from({ length: 64 }, () => github(d)));
    assert.deepEqual(
      new Set(copies.map((c) => `${c.status} ${String(c.body.status)}`)),
      new Set(['200 duplicate']),
    );
    assert.equal(starter.calls.length, calls);
    assert.equal(health.isUp(), true);
    assert.equal(ledger.rows.get(key)?.outcome, 'accepted');
  });

  test('concurrent redeliveries of a failed delivery make one start between them', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue });
    const key = githubKeyOf(d);
    ledger.rows.set(key, { outcome: 'failed', workflowType: 'onIssues', installation: null });
    starter.hold(key);
    const copies = Array.from({ length: 20 }, () => github(d));
    await waitUntil(() => starter.calls.includes(key));
    starter.release(key);
    const answers = await Promise.all(copies);
    assert.equal(starter.calls.filter((k) => k === key).length, 1);
    assert.equal(answers.filter((a) => a.body.status === 'accepted').length, 1);
    assert.equal(answers.filter((a) => a.body.status === 'duplicate').length, 19);
  });

  test('a start that fails after the answer parks the delivery in the outbox', async () => {
    starter.refuseWith(new Error('namespace not found'));
    try {
      const d = githubDelivery({ event: 'issues', payload: issue });
      const res = await github(d);
      assert.deepEqual([res.status, res.body], [202, { status: 'accepted', workflowId: githubKeyOf(d) }]);
      await launcher.drain();
      assert.ok(ledger.enqueued.includes(githubKeyOf(d)));
      // Temporal answered (and refused): not an outage.
      assert.equal(health.isUp(), true);
    } finally {
      starter.refuseWith(undefined);
    }
  });

  test('202 queued while Temporal is known to be away: parked at once, nothing tried', async () => {
    health.reportFailure(grpcError(14, 'connect ECONNREFUSED'));
    try {
      const d = githubDelivery({ event: 'issues', payload: issue });
      const calls = starter.calls.length;
      const res = await github(d);
      assert.deepEqual([res.status, res.body], [202, { status: 'queued', workflowId: githubKeyOf(d) }]);
      assert.ok(ledger.enqueued.includes(githubKeyOf(d)));
      assert.equal(starter.calls.length, calls);
    } finally {
      health.reportSuccess();
    }
  });

  test('one start past its deadline while others succeed is not an outage', async () => {
    const slow = githubDelivery({ event: 'issues', payload: issue });
    starter.hold(githubKeyOf(slow));
    await github(slow);
    // Others start and succeed while the slow one waits…
    const others = Array.from({ length: 5 }, () => githubDelivery({ event: 'issues', payload: issue }));
    for (const o of others) await github(o);
    await waitUntil(() => others.every((o) => starter.starts.some((s) => s.ref.key === githubKeyOf(o))));
    // …then it hits its deadline.
    starter.release(githubKeyOf(slow), grpcError(4, 'deadline exceeded'));
    await launcher.drain();
    assert.ok(ledger.enqueued.includes(githubKeyOf(slow)), 'the slow one waits in the outbox');
    assert.equal(health.isUp(), true);
    const next = await github(githubDelivery({ event: 'issues', payload: issue }));
    assert.equal(next.body.status, 'accepted');

    // With no success meanwhile, the same failure is an outage.
    const alone = githubDelivery({ event: 'issues', payload: issue });
    await launcher.drain();
    starter.hold(githubKeyOf(alone));
    await github(alone);
    await waitUntil(() => starter.calls.includes(githubKeyOf(alone)));
    starter.release(githubKeyOf(alone), grpcError(4, 'deadline exceeded'));
    await launcher.drain();
    assert.equal(health.isUp(), false);
    health.reportSuccess();
  });

  test('a refused start is logged with the whole error: its type, stack and cause', async () => {
    const cause = new Error('namespace hookflow-missing is not registered');
    starter.refuseWith(new TypeError('start refused', { cause }));
    const from = logged.length;
    try {
      const res = await github(githubDelivery({ event: 'issues', payload: issue }));
      assert.equal(res.status, 202);
      await launcher.drain();
      const line = logged.slice(from).find((l) => l.msg.startsWith('Temporal refused the workflow start'));
      assert.ok(line?.err, JSON.stringify(logged));
      assert.equal(line.err.type, 'TypeError');
      assert.equal(line.err.message, 'start refused: namespace hookflow-missing is not registered');
      assert.match(line.err.stack ?? '', /TypeError: start refused\n\s+at /);
      assert.match(line.err.stack ?? '', /caused by: Error: namespace hookflow-missing is not registered/);
    } finally {
      starter.refuseWith(undefined);
    }
  });

  test('503 with Retry-After while the ledger cannot be reached', async () => {
    ledger.setDown(true);
    try {
      const res = await github(githubDelivery({ event: 'issues', payload: issue }));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '30');
      assert.deepEqual(res.body, {
        error: 'hookflow cannot record deliveries right now (storage unreachable); redeliver later',
      });
    } finally {
      ledger.setDown(false);
    }
  });

  test('a declarative provider: 403 for an unknown installation, accepted for a known one', async () => {
    const unknown = await post(
      `${url}${TRULINKS.path}`,
      trulinks('ContactCreate', { locationId: 'loc-evil' }),
    );
    assert.deepEqual([unknown.status, unknown.body], [403, { error: 'unknown locationId loc-evil' }]);
    const known = await post(`${url}${TRULINKS.path}`, trulinks('ContactCreate', { locationId: 'loc-1' }));
    assert.equal(known.status, 202);
    assert.equal(known.body.status, 'accepted');
  });

  test('event names that are Object.prototype members are ignored like any other unhandled event', async () => {
    for (const event of PROTOTYPE_EVENTS) {
      const d = githubDelivery({ event, payload: { action: 'created' } });
      const res = await github(d);
      assert.equal(res.status, 202, event);
      assert.deepEqual(res.body, { status: 'ignored', reason: `no workflow handles ${event} events` }, event);
      assert.equal(ledger.rows.get(githubKeyOf(d))?.outcome, 'ignored', event);
      assert.equal(startedKeys().includes(githubKeyOf(d)), false, event);
    }
  });

  test('__proto__ is refused by the event-name pattern (it starts with an underscore), before anything is stored', async () => {
    const d = githubDelivery({ event: '__proto__', payload: { action: 'created' } });
    const res = await github(d);
    assert.deepEqual([res.status, res.body], [400, { error: 'X-GitHub-Event is not a valid event name' }]);
    assert.equal(ledger.rows.has(githubKeyOf(d)), false);
  });

  test('a declarative provider ignores an event name that is an Object.prototype member', async () => {
    for (const event of PROTOTYPE_EVENTS) {
      const d = trulinks(event, { locationId: 'loc-1' });
      const res = await post(`${url}${TRULINKS.path}`, d);
      assert.equal(res.status, 202, event);
      assert.deepEqual(res.body, { status: 'ignored', reason: `no workflow handles ${event} events` }, event);
      const key = deliveryKeyOf('trulinks', d.headers['x-trulinks-delivery']);
      assert.equal(startedKeys().includes(key), false, event);
    }
  });
});
