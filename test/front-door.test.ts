// The front door's answers, step by step, against a real hookflow (real Temporal, real PostgreSQL).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GITHUB_SHA256, sign } from '../server/signature';
import { deliveryKeyOf, githubDelivery, githubKeyOf, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, withHookflow, type Harness } from './helpers/harness';
import { LEADHUB, PROTOTYPE_EVENTS } from './helpers/providers';

const issue = (n = 1) => ({
  action: 'opened',
  issue: { number: n },
  repository: { full_name: 'acme/api', default_branch: 'main' },
});

/** What /readyz says of starts once the server's own native connection is made in the background. */
async function startsOnceMade(url: string): Promise<string> {
  let starts = '';
  await waitFor('the native connection', async () => {
    starts = ((await (await fetch(`${url}/readyz`)).json()) as { starts: string }).starts;
    return starts !== 'javascript';
  });
  return starts;
}

describe('front door', () => {
  let h: Harness;
  before(async () => {
    h = await startHookflow({
      env: { WEBHOOK_SECRET: 'test-secret, previous-secret', HOOKFLOW_BODY_LIMIT: '64kb' },
    });
  });
  after(() => h.close());

  test('a signed delivery is accepted, its workflow runs, and the ledger says completed', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue(7) });
    const res = await h.post(d);
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'accepted');
    const key = githubKeyOf(d);
    assert.deepEqual(res.body, { status: 'accepted', workflowId: key });
    await h.waitForOutcome(key, 'completed');
    const row = await h.store.getDelivery(key);
    assert.match(row?.reason ?? '', /^issues\.opened #7 in acme\/api; issue not stored/);
    assert.deepEqual(row?.rawBody, d.body);
    const result: unknown = await h.client.workflow.getHandle(key).result();
    assert.equal(result, row?.reason);
  });

  test("a delivery's storage steps run as local activities, and a write-back that is off is not scheduled", async () => {
    const d = githubDelivery({ event: 'issues', payload: issue(9) });
    const res = await h.post(d);
    const key = String(res.body.workflowId);
    // Closed, so its last workflow task (which recorded the local activities' markers) is in the
    // history: the ledger says `completed` a moment before that task completes.
    await h.client.workflow.getHandle(key).result();
    const events = (await h.client.workflow.getHandle(key).fetchHistory()).events ?? [];
    // No round trip through the server per step: no activity task at all for this delivery.
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 0);
    const localActivities = events
      .map((e) => e.markerRecordedEventAttributes)
      .filter((m) => m?.markerName === 'core_local_activity');
    // The first step (summarise, apply to the tables, which write-back steps are on: none, plan the
    // app's handlers) and the last (record the outcome).
    assert.equal(localActivities.length, 2);
  });

  test('the workflow carries search attributes to find it by event, action, repository', async () => {
    const d = githubDelivery({ event: 'issues', payload: { ...issue(8), installation: { id: 918273 } } });
    const res = await h.post(d);
    assert.equal(res.status, 202);
    const desc = await h.client.workflow.getHandle(String(res.body.workflowId)).describe();
    const sa = desc.searchAttributes;
    assert.deepEqual(sa.HookflowEvent, ['issues']);
    assert.deepEqual(sa.HookflowAction, ['opened']);
    assert.deepEqual(sa.HookflowRepository, ['acme/api']);
    assert.deepEqual(sa.HookflowInstallation, ['918273']);
    assert.deepEqual(sa.HookflowDeliveryId, [d.headers['x-github-delivery']]);
  });

  test('in the Temporal UI the workflow reads as its delivery: a one-line summary and details', async () => {
    const d = githubDelivery({
      event: 'issues',
      payload: { ...issue(12), installation: { id: 918273 }, sender: { login: 'octocat' } },
    });
    const res = await h.post(d);
    assert.equal(res.status, 202);
    const desc = await h.client.workflow.getHandle(String(res.body.workflowId)).describe();
    assert.equal(await desc.staticSummary(), 'issues.opened #12 in acme/api');
    const details = String(await desc.staticDetails());
    assert.ok(details.includes(`**Delivery** ${d.headers['x-github-delivery']}`), details);
    assert.match(details, /\*\*Installation\*\* 918273/);
    assert.match(details, /\*\*Sender\*\* octocat/);
    assert.match(details, /\*\*Received\*\* \d{4}-\d{2}-\d{2}T/);
  });

  test('the same delivery again is a duplicate, and does not run twice', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue() });
    const first = await h.post(d);
    assert.equal(first.status, 202);
    const second = await h.post(d);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, { status: 'duplicate', workflowId: first.body.workflowId });
    await h.waitForOutcome(String(first.body.workflowId), 'completed');
    const third = await h.post(d);
    assert.equal(third.status, 200);
    assert.equal(third.body.status, 'duplicate');
    const row = await h.store.getDelivery(String(first.body.workflowId));
    assert.equal(row?.receiveCount, 3);
  });

  test('the same delivery ID on another hook is another delivery', async () => {
    const id = randomUUID();
    const a = await h.post(githubDelivery({ event: 'issues', payload: issue(), id }));
    const b = await h.post(githubDelivery({ event: 'issues', payload: issue(), id, hookId: '555' }));
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.notEqual(a.body.workflowId, b.body.workflowId);
  });

  test('a redelivery of a failed delivery runs again; the failure is visible in Temporal and the ledger', async () => {
    // An installation event that names no installation fails its workflow (non-retryable).
    const d = githubDelivery({ event: 'installation', payload: { action: 'created' } });
    const first = await h.post(d);
    assert.equal(first.status, 202);
    const key = String(first.body.workflowId);
    await h.waitForOutcome(key, 'failed');
    assert.match(String((await h.store.getDelivery(key))?.reason), /names no installation/);
    await assert.rejects(h.client.workflow.getHandle(key).result(), /Workflow execution failed/);
    const failedRun = await h.client.workflow.getHandle(key).describe();
    assert.equal(failedRun.status.name, 'FAILED');

    const again = await h.post(d);
    assert.equal(again.status, 202);
    assert.equal(again.body.status, 'accepted');
    // A rerun starts in the request (it may turn out a duplicate), so its answer names the new run.
    assert.equal(typeof again.body.runId, 'string');
    assert.notEqual(again.body.runId, failedRun.runId);
    await waitFor('the second run to fail too', async () => {
      const runs = await h.client.workflow.count(`WorkflowId = "${key}" AND ExecutionStatus = "Failed"`);
      return runs.count === 2;
    });
  });

  test('a start retried from the outbox (its first answer lost) never runs a failed delivery again', async () => {
    const d = githubDelivery({ event: 'installation', payload: { action: 'created' } });
    const first = await h.post(d);
    const key = String(first.body.workflowId);
    await h.waitForOutcome(key, 'failed');
    await assert.rejects(h.client.workflow.getHandle(key).result());
    // As if the start had succeeded but its answer was lost: the delivery is parked for the relay.
    await h.store.enqueue(key, 'simulated: the start answer was lost');
    await waitFor('the relay to take it', async () => (await h.store.outboxDepth()) === 0);
    assert.equal((await h.client.workflow.count(`WorkflowId = "${key}"`)).count, 1);
    assert.equal((await h.store.getDelivery(key))?.outcome, 'failed');
  });

  test('form-encoded deliveries (the payload field) are accepted', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue(3), form: true });
    const res = await h.post(d);
    assert.equal(res.status, 202);
    await h.waitForOutcome(String(res.body.workflowId), 'completed');
    assert.match(
      (await h.store.getDelivery(String(res.body.workflowId)))?.reason ?? '',
      /^issues\.opened #3 in acme\/api; /,
    );
  });

  test('rotation: a delivery signed with the previous secret is accepted', async () => {
    const res = await h.post(
      githubDelivery({ event: 'issues', payload: issue(), secret: 'previous-secret' }),
    );
    assert.equal(res.status, 202);
  });

  test('415 for another content type, naming it', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue() });
    d.headers['content-type'] = 'text/plain';
    const res = await h.post(d);
    assert.equal(res.status, 415);
    assert.match(String(res.body.error), /text\/plain/);
  });

  test('413 for a body over the limit', async () => {
    const d = githubDelivery({ event: 'issues', payload: { ...issue(), padding: 'x'.repeat(70 * 1024) } });
    const res = await h.post(d);
    assert.equal(res.status, 413);
    assert.match(String(res.body.error), /limit/);
  });

  test('400 naming every missing header', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue() });
    delete d.headers['x-github-event'];
    delete d.headers['x-hub-signature-256'];
    const res = await h.post(d);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'missing headers: X-GitHub-Event, X-Hub-Signature-256');
  });

  test('400 for a delivery ID or hook ID that cannot be one', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue(), id: '../../etc/passwd' });
    assert.equal((await h.post(d)).status, 400);
    const e = githubDelivery({ event: 'issues', payload: issue(), hookId: 'abc' });
    assert.equal((await h.post(e)).status, 400);
  });

  test('401 for a wrong secret, a malformed signature, and sha1 where the source does not allow it', async () => {
    const wrong = await h.post(githubDelivery({ event: 'issues', payload: issue(), secret: 'nope' }));
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.body.error), /does not match/);

    const d = githubDelivery({ event: 'issues', payload: issue() });
    d.headers['x-hub-signature-256'] = 'sha256=abc';
    const malformed = await h.post(d);
    assert.equal(malformed.status, 401);
    assert.match(String(malformed.body.error), /malformed/);

    const sha1 = await h.post(githubDelivery({ event: 'issues', payload: issue(), sha1Only: true }));
    assert.equal(sha1.status, 400);
    assert.match(String(sha1.body.error), /X-Hub-Signature-256/);
  });

  test('a bad signature stores nothing and starts nothing', async () => {
    const d = githubDelivery({ event: 'issues', payload: issue(), secret: 'nope' });
    assert.equal((await h.post(d)).status, 401);
    const key = githubKeyOf(d);
    assert.equal(await h.store.getDelivery(key), undefined);
    await assert.rejects(h.client.workflow.getHandle(key).describe(), /not found/i);
  });

  test('400 for a signed body that is not a JSON object', async () => {
    for (const raw of ['not json', '[1,2]', 'null']) {
      const body = Buffer.from(raw);
      const res = await post(h.webhookUrl, {
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': sign(GITHUB_SHA256, 'test-secret', body),
        },
      });
      assert.equal(res.status, 400, raw);
    }
    const form = Buffer.from('nopayload=1');
    const res = await post(h.webhookUrl, {
      body: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(GITHUB_SHA256, 'test-secret', form),
      },
    });
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /payload/);
  });

  test('400 for payload fields that cannot be stored or searched: NUL, control characters, huge IDs', async () => {
    const bad = [
      { action: 'opened\u0000' },
      { action: 'opened', installation: { id: 'x'.repeat(4000) } },
      { action: 'opened', installation: { id: 'a b' } },
      { action: 'opened', repository: { full_name: 'acme/\napi' } },
      { action: 'opened', repository: { full_name: 'r'.repeat(300) } },
    ];
    for (const payload of bad) {
      const res = await h.post(githubDelivery({ event: 'issues', payload }));
      assert.equal(res.status, 400, JSON.stringify(payload).slice(0, 80));
      assert.match(String(res.body.error), /is not a valid/);
    }
  });

  test('ping is answered 200 and starts nothing', async () => {
    const d = githubDelivery({ event: 'ping', payload: { zen: 'Keep it logically awesome.', hook_id: 1 } });
    const res = await h.post(d);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(await h.store.getDelivery(githubKeyOf(d)), undefined);
  });

  test('202 ignored for events nobody handles and for pushes to other branches; the default branch runs', async () => {
    const star = await h.post(githubDelivery({ event: 'star', payload: { action: 'created' } }));
    assert.equal(star.status, 202);
    assert.deepEqual(star.body, { status: 'ignored', reason: 'no workflow handles star events' });

    const repo = { full_name: 'acme/api', default_branch: 'main' };
    const feature = await h.post(
      githubDelivery({ event: 'push', payload: { ref: 'refs/heads/feature', repository: repo } }),
    );
    assert.equal(feature.status, 202);
    assert.equal(feature.body.status, 'ignored');
    assert.match(String(feature.body.reason), /not the default branch main/);

    const tag = await h.post(
      githubDelivery({ event: 'push', payload: { ref: 'refs/tags/v1', repository: repo } }),
    );
    assert.equal(tag.body.status, 'ignored');

    const main = await h.post(
      githubDelivery({
        event: 'push',
        payload: { ref: 'refs/heads/main', repository: repo, commits: [{}, {}] },
      }),
    );
    assert.equal(main.status, 202);
    assert.equal(main.body.status, 'accepted');
    await h.waitForOutcome(String(main.body.workflowId), 'completed');
    assert.equal(
      (await h.store.getDelivery(String(main.body.workflowId)))?.reason,
      'push of 2 commits to refs/heads/main in acme/api',
    );
  });

  test('event names that are Object.prototype members are ignored like any other unhandled event, and start nothing', async () => {
    for (const event of PROTOTYPE_EVENTS) {
      const d = githubDelivery({ event, payload: { action: 'created', installation: { id: 4242 } } });
      const res = await h.post(d);
      assert.equal(res.status, 202, event);
      assert.deepEqual(res.body, { status: 'ignored', reason: `no workflow handles ${event} events` }, event);
      const key = githubKeyOf(d);
      const row = await h.store.getDelivery(key);
      assert.equal(row?.outcome, 'ignored', event);
      assert.equal(row?.reason, `no workflow handles ${event} events`, event);
      await assert.rejects(h.client.workflow.getHandle(key).describe(), /not found/i, event);
    }
    assert.equal(await h.store.outboxDepth(), 0);
  });

  test('__proto__ as an event is refused like any name the event-name pattern refuses, and stores nothing', async () => {
    const d = githubDelivery({ event: '__proto__', payload: { action: 'created' } });
    const res = await h.post(d);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'X-GitHub-Event is not a valid event name');
    assert.equal(await h.store.getDelivery(githubKeyOf(d)), undefined);
  });

  test('405 for other methods on the webhook path, 404 elsewhere', async () => {
    const get = await fetch(h.webhookUrl);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const nowhere = await fetch(`${h.url}/nowhere`, { method: 'POST' });
    assert.equal(nowhere.status, 404);
  });

  test('healthz and readyz', async () => {
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    const starts = await startsOnceMade(h.url);
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', storage: 'ok', temporal: 'ok', starts });
  });

  test('readyz says which connection starts take; HOOKFLOW_NATIVE_STARTS=false keeps them on the JavaScript client', async () => {
    // Both start together: once one has made its native connection, the other would have too.
    const [on, off] = await Promise.all([
      startHookflow({ worker: false }),
      startHookflow({ worker: false, env: { HOOKFLOW_NATIVE_STARTS: 'false' } }),
    ]);
    try {
      assert.equal(await startsOnceMade(on.url), 'native');
      const answer = (await (await fetch(`${off.url}/readyz`)).json()) as { starts: string };
      assert.equal(answer.starts, 'javascript');
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });

  test('a stalled upload is cut off by the body timeout', async () => {
    const slow = await startHookflow({ worker: false, env: { HOOKFLOW_BODY_TIMEOUT_MS: '300' } });
    try {
      const { port } = new URL(slow.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            'POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
          );
        });
        let data = '';
        socket.on('data', (c: Buffer) => (data += c.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        setTimeout(() => reject(new Error('the stalled request was not cut off')), 10_000).unref();
      });
      assert.match(answer, /^HTTP\/1.1 408/);
    } finally {
      await slow.close();
    }
  });
});

describe('a source without a secret', () => {
  test('fails closed: every delivery is refused with 401', async () => {
    await withHookflow({ worker: false, env: { WEBHOOK_SECRET: '' } }, async (h) => {
      const d = githubDelivery({ event: 'issues', payload: issue() });
      const res = await h.post(d);
      assert.equal(res.status, 401);
      assert.match(String(res.body.error), /no webhook secret/);
      assert.equal(await h.store.getDelivery(githubKeyOf(d)), undefined);
    });
  });
});

describe('a source configured for sha1', () => {
  test('accepts X-Hub-Signature (sha1) alone, and still checks it', async () => {
    await withHookflow({ worker: false, env: { WEBHOOK_ALLOW_SHA1: 'true' } }, async (h) => {
      const ok = await h.post(githubDelivery({ event: 'issues', payload: issue(), sha1Only: true }));
      assert.equal(ok.status, 202);
      const wrong = await h.post(
        githubDelivery({ event: 'issues', payload: issue(), sha1Only: true, secret: 'nope' }),
      );
      assert.equal(wrong.status, 401);
      assert.match(String(wrong.body.error), /X-Hub-Signature does not match/);
    });
  });
});

describe('the ledger row of an accepted delivery', () => {
  test('records its workflow and run IDs', async () => {
    await withHookflow({ worker: false }, async (h) => {
      const d = githubDelivery({ event: 'issues', payload: issue() });
      const res = await h.post(d);
      await h.waitForOutcome(String(res.body.workflowId), 'accepted', 5_000);
      const row = await h.store.getDelivery(String(res.body.workflowId));
      assert.equal(row?.workflowId, res.body.workflowId);
      const run = await h.client.workflow.getHandle(String(res.body.workflowId)).describe();
      assert.equal(row?.runId, run.runId);
    });
  });
});

describe('a declarative provider', () => {
  test('ignores an event name that is an Object.prototype member, and starts nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-sources-'));
    const file = path.join(dir, 'sources.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: [LEADHUB],
      }),
    );
    try {
      await withHookflow({ worker: false, env: { HOOKFLOW_SOURCES_FILE: file } }, async (h) => {
        const scheme = { algorithm: 'sha256', prefix: '', encoding: 'hex' } as const;
        for (const event of PROTOTYPE_EVENTS) {
          const body = Buffer.from(JSON.stringify({ type: event, location: { id: 'L1' } }));
          const id = randomUUID();
          const res = await h.post(
            {
              body,
              headers: {
                'content-type': 'application/json',
                'x-webhook-id': id,
                'x-webhook-signature': sign(scheme, 'leadhub-secret', body),
              },
            },
            '/api/leadhub/webhooks',
          );
          assert.equal(res.status, 202, event);
          assert.deepEqual(
            res.body,
            { status: 'ignored', reason: `no workflow handles ${event} events` },
            event,
          );
          assert.equal((await h.store.getDelivery(deliveryKeyOf('leadhub', id)))?.outcome, 'ignored', event);
        }
        assert.equal((await h.client.workflow.count(`TaskQueue = "${h.taskQueue}"`)).count, 0);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
