// Logs are correlated with traces, and no secret or personal field reaches a log line or a span: a
// delivery that calls the provider and a repository sync run with known secret values —
// the webhook secret, the delivery's signature, the App's private key, the encryption key, every
// installation token the provider handed out, the App JWT, an email and a phone number in the
// payload — and every captured log line and every exported span is searched for them.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../lib/logger';
import { startSyncJob, syncArgs } from '../lib/sync-client';
import { CENSOR } from '../lib/telemetry/redaction';
import { appKeys, SEAL_KEY } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { startTracedHookflow, type TracedHookflow } from './helpers/tracing';

const ENCODED_SECRET = 'ZW5jb2RlZC13ZWJob29rLXNlY3JldC12YWx1ZQ';
const INBOUND_BEARER = 'inbound-bearer-credential-4242';
const WEBHOOK_SECRET = 'whsec-Zq8v1-never-in-a-log';
const EMAIL = 'alice.secret@example.com';
const PHONE = '+1-555-0199-7788';
/** A token the provider echoes in an error message: error text reaches spans as exception events. */
const ECHOED_TOKEN = `ghs_${'Echo9'.repeat(8)}`;

const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});

let t: TracedHookflow;

before(async () => {
  t = await startTracedHookflow({
    fake: { latencyMs: 1 },
    logger: createLogger('trace', 'hookflow', sink),
    env: {
      WEBHOOK_SECRET,
      HOOKFLOW_WELCOME_LABEL: 'triage',
      HOOKFLOW_WELCOME_COMMENT: 'Welcome!',
      HOOKFLOW_MUTATION_SPACING_MS: '0',
    },
    repo: ['octo/private', { id: 901, installation: '9001', issues: 30, commentsPerIssue: 1 }],
  });
});

after(() => t.close());

test('a delivery and a sync leave no secret or personal field in any log line or span', async () => {
  const payload = {
    action: 'opened',
    issue: { ...t.fake.issueJson('octo/private', 3), user: { login: 'alice', email: EMAIL } },
    repository: { full_name: 'octo/private' },
    installation: { id: 9001 },
    sender: { login: 'alice', email: EMAIL, phone: PHONE },
  };
  const delivery = githubDelivery({ event: 'issues', payload, secret: WEBHOOK_SECRET });
  // Headers that can carry secrets (GitHub sent X-GitHub-Encoded-Secret by mistake for a time).
  delivery.headers['x-github-encoded-secret'] = ENCODED_SECRET;
  delivery.headers.authorization = `Bearer ${INBOUND_BEARER}`;
  const answer = await t.h.post(delivery);
  assert.equal(answer.status, 202);
  await t.h.waitForOutcome(String(answer.body.workflowId), 'completed');
  // A forged one too: its signature is refused, and must not be echoed anywhere either.
  const forged = githubDelivery({ event: 'issues', payload, secret: 'forged-secret-value-xyz' });
  assert.equal((await t.h.post(forged)).status, 401);
  // The provider's error message carries a token and an email: the delivery fails with it.
  t.fake.script({
    method: 'POST',
    path: /\/issues\/5\/labels$/,
    times: 1,
    status: 422,
    body: { message: `Validation Failed for ${EMAIL} with token ${ECHOED_TOKEN}` },
  });
  const failing = githubDelivery({
    event: 'issues',
    payload: { ...payload, issue: t.fake.issueJson('octo/private', 5) },
    secret: WEBHOOK_SECRET,
  });
  const failed = await t.h.post(failing);
  await t.h.waitForOutcome(String(failed.body.workflowId), 'failed');
  const job = await startSyncJob(t.h.client, t.h.taskQueue, syncArgs(t.h.config, 'octo/private', '9001'));
  await job.result();
  await t.tracing.flush();

  const secrets = [
    WEBHOOK_SECRET,
    ENCODED_SECRET,
    INBOUND_BEARER,
    'forged-secret-value-xyz',
    delivery.headers['x-hub-signature-256'],
    delivery.headers['x-hub-signature-256'].slice('sha256='.length),
    forged.headers['x-hub-signature-256'].slice('sha256='.length),
    SEAL_KEY.toString('base64'),
    // The private key's body, line by line (a log could hold a piece of it).
    ...appKeys()
      .privateKey.split('\n')
      .filter((l) => l.length > 20 && !l.startsWith('-----')),
    ...t.fake.issuedTokens,
    ECHOED_TOKEN,
    EMAIL,
    PHONE,
  ];
  assert.ok(t.fake.issuedTokens.length >= 1, 'installation tokens were issued and used');
  // The failure did reach the spans, redacted.
  assert.ok(
    t.exporter
      .getFinishedSpans()
      .some((s) =>
        s.events.some((e) =>
          String(e.attributes?.['exception.message']).includes(`Validation Failed for ${CENSOR}`),
        ),
      ),
    'the 422 is recorded on a span, its message redacted',
  );
  const spans = t.exporter.getFinishedSpans();
  const spanTexts = spans.map((s) =>
    JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }),
  );
  assert.ok(raw.length >= 8 && spans.length >= 20, `${raw.length} log lines, ${spans.length} spans captured`);
  for (const secret of secrets) {
    assert.equal(
      raw.find((l) => l.includes(secret)) ?? null,
      null,
      `a log line holds ${secret.slice(0, 12)}…`,
    );
    assert.equal(
      spanTexts.find((t) => t.includes(secret)) ?? null,
      null,
      `a span holds ${secret.slice(0, 12)}…`,
    );
  }
  // The App's JWTs (signed inside the client, never seen by the test) and Authorization headers.
  for (const text of [...raw, ...spanTexts]) {
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./, 'a JWT');
    assert.doesNotMatch(text, /(Bearer|token) ghs_/i, 'an Authorization value');
  }
});

test("every log line of a delivery's work carries its delivery key and its trace", async () => {
  const payload = {
    action: 'opened',
    issue: t.fake.issueJson('octo/private', 4),
    repository: { full_name: 'octo/private' },
    installation: { id: 9001 },
  };
  const delivery = githubDelivery({ event: 'issues', payload, secret: WEBHOOK_SECRET });
  const answer = await t.h.post(delivery);
  const key = String(answer.body.workflowId);
  await t.h.waitForOutcome(key, 'completed');
  await t.tracing.flush();
  const traceId = t.exporter
    .getFinishedSpans()
    .find((s) => s.attributes['hookflow.delivery.key'] === key && s.parentSpanId === undefined)
    ?.spanContext().traceId;
  assert.ok(traceId, 'the delivery has a root span');

  const mine = lines.filter((l) => l.delivery === key);
  const activities = new Set(mine.map((l) => l.activity).filter(Boolean));
  // The front door's line, the API calls of both write-back steps, the activities' own lines.
  assert.ok(mine.some((l) => l.msg === 'delivery accepted'));
  assert.ok(mine.filter((l) => l.msg === 'api call').length >= 3, JSON.stringify(mine.map((l) => l.msg)));
  assert.ok(
    activities.has('addWelcomeLabel') && activities.has('postWelcomeComment'),
    [...activities].join(),
  );
  for (const l of mine) {
    assert.equal(l.trace_id, traceId, `trace_id on: ${JSON.stringify(l)}`);
    assert.match(String(l.span_id), /^[0-9a-f]{16}$/);
  }
  // Every API call line made for this delivery is among them.
  const calls = lines.filter(
    (l) => l.msg === 'api call' && l.requestId === delivery.headers['x-github-delivery'],
  );
  assert.ok(calls.length >= 3);
  assert.ok(calls.every((l) => l.delivery === key));
});
