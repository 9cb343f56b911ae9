// One signed delivery that calls the (fake) provider makes one trace: the HTTP request,
// continuing the sender's traceparent → the workflow start → the workflow → each activity → each API
// call, with the delivery's and the calls' attributes. A rate-limit wait on the way is an event, not
// an error. Spans are caught by an in-memory exporter behind hookflow's own (redacting) processor.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TOKEN_ROUTE } from '../activities/github/app-token-issuer';
import { issueOpened } from './helpers/api';
import { waitFor } from './helpers/env';
import { startTracedHookflow, type TracedHookflow } from './helpers/tracing';

const LABELS_ROUTE = '/repos/{owner}/{repo}/issues/{issue_number}/labels';

let t: TracedHookflow;

before(async () => {
  t = await startTracedHookflow({
    fake: { latencyMs: 2 },
    env: { HOOKFLOW_WELCOME_LABEL: 'triage', HOOKFLOW_MUTATION_SPACING_MS: '0' },
    repo: ['octo/traced', { id: 701, installation: '7001', issues: 2, commentsPerIssue: 0 }],
  });
});

after(() => t.close());

/**
 * The spans of one trace, once the workflow's own span has arrived (the ledger says `completed`
 * during the workflow's last activity, and workflow spans leave through the sink after it), and
 * finders that fail with the names present when a span is missing.
 */
async function traceOf(traceId: string) {
  const inTrace = () => t.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  await waitFor('the workflow span', async () => {
    await t.tracing.flush();
    return inTrace().some((s) => s.name === 'RunWorkflow:onIssues');
  });
  const spans = inTrace();
  const names = () => spans.map((s) => s.name).join(', ');
  const find = (name: string, parent?: ReadableSpan): ReadableSpan => {
    const found = spans.find(
      (s) => s.name === name && (parent === undefined || s.parentSpanId === parent.spanContext().spanId),
    );
    assert.ok(found, `a span ${name}${parent ? ` under ${parent.name}` : ''} in the trace: ${names()}`);
    return found;
  };
  return { spans, find };
}

const traceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
};

test('a delivery is one trace: request → start → workflow → activity → API call', async () => {
  const tp = traceparent();
  const delivery = issueOpened(t.fake, 'octo/traced', 1, 7001);
  delivery.headers.traceparent = tp.header;
  const answer = await t.h.post(delivery);
  assert.equal(answer.status, 202);
  const key = String(answer.body.workflowId);
  await t.h.waitForOutcome(key, 'completed');
  const deliveryId = delivery.headers['x-github-delivery'];

  const { spans, find } = await traceOf(tp.traceId);
  const http = find(`POST ${t.h.config.webhookPath}`);
  assert.equal(http.kind, SpanKind.SERVER);
  assert.equal(http.parentSpanId, tp.parentId, 'continues the sender’s traceparent');
  assert.deepEqual(
    {
      method: http.attributes['http.request.method'],
      route: http.attributes['http.route'],
      status: http.attributes['http.response.status_code'],
      delivery: http.attributes['hookflow.delivery.id'],
      event: http.attributes['hookflow.event'],
      action: http.attributes['hookflow.action'],
      installation: http.attributes['hookflow.installation.id'],
      repository: http.attributes['vcs.repository.name'],
      outcome: http.attributes['hookflow.delivery.outcome'],
    },
    {
      method: 'POST',
      route: t.h.config.webhookPath,
      status: 202,
      delivery: deliveryId,
      event: 'issues',
      action: 'opened',
      installation: '7001',
      repository: 'octo/traced',
      outcome: 'accepted',
    },
  );

  const start = find('StartWorkflow:onIssues', http);
  const run = find('RunWorkflow:onIssues', start);
  const startLabel = find('StartActivity:addWelcomeLabel', run);
  const runLabel = find('RunActivity:addWelcomeLabel', startLabel);
  assert.equal(runLabel.attributes['hookflow.delivery.id'], deliveryId);
  assert.equal(runLabel.attributes['vcs.repository.name'], 'octo/traced');
  // The delivery's first step (a local activity: its span too is under the run).
  find('RunActivity:beginDelivery', find('StartActivity:beginDelivery', run));
  find('RunActivity:finishDelivery', find('StartActivity:finishDelivery', run));

  const api = find(`POST ${LABELS_ROUTE}`, runLabel);
  assert.equal(api.kind, SpanKind.CLIENT);
  assert.equal(api.status.code, SpanStatusCode.UNSET);
  assert.equal(api.attributes['http.request.method'], 'POST');
  assert.equal(api.attributes['url.template'], LABELS_ROUTE);
  assert.equal(api.attributes['http.response.status_code'], 200);
  assert.equal(api.attributes['hookflow.attempt'], 1);
  assert.equal(api.attributes['hookflow.cache_hit'], false);
  assert.equal(api.attributes['hookflow.installation.id'], '7001');
  assert.equal(typeof api.attributes['github.rate_limit.remaining'], 'number');
  assert.equal(typeof api.attributes['github.rate_limit.reset'], 'number');
  assert.equal(api.attributes['github.rate_limit.resource'], 'core');
  // The installation token was issued for this call: its own span, under the call.
  const issue = find(`POST ${TOKEN_ROUTE}`, api);
  assert.equal(issue.attributes['http.response.status_code'], 201);
  // No raw URL with IDs anywhere in the span names.
  assert.ok(
    spans.every((s) => !/octo\/traced|\/issues\/1\b/.test(s.name)),
    'route templates only',
  );
  assert.ok(
    t.exporter
      .getFinishedSpans()
      .filter((s) => s.attributes['hookflow.delivery.key'] === key)
      .every((s) => s.spanContext().traceId === tp.traceId),
    'every span of the delivery is in its trace',
  );
});

test('a rate-limit wait is an event on the API span, not an error; the retry is attempt 2', async () => {
  t.fake.script({
    method: 'POST',
    path: /\/issues\/2\/labels$/,
    times: 1,
    status: 429,
    headers: { 'retry-after': '1' },
    body: { message: 'You have exceeded a secondary rate limit' },
  });
  const tp = traceparent();
  const delivery = issueOpened(t.fake, 'octo/traced', 2, 7001);
  delivery.headers.traceparent = tp.header;
  const answer = await t.h.post(delivery);
  await t.h.waitForOutcome(String(answer.body.workflowId), 'completed');

  const { spans } = await traceOf(tp.traceId);
  const calls = spans
    .filter((s) => s.name === `POST ${LABELS_ROUTE}`)
    .sort((a, b) => Number(a.attributes['hookflow.attempt']) - Number(b.attributes['hookflow.attempt']));
  assert.equal(calls.length, 2, spans.map((s) => s.name).join(', '));
  const [limited, retried] = calls;
  assert.equal(limited.attributes['http.response.status_code'], 429);
  assert.equal(limited.attributes['http.response.header.retry-after'], '1');
  assert.equal(limited.attributes['hookflow.rate_limit.kind'], 'retry-after');
  assert.equal(limited.status.code, SpanStatusCode.UNSET, 'a wait is not an error');
  assert.ok(limited.events.some((e) => e.name === 'wait'));
  assert.equal(retried.attributes['hookflow.attempt'], 2);
  assert.equal(retried.attributes['http.response.status_code'], 200);
  // The activity span of the limited attempt is not an error either (a benign failure).
  const attempts = spans.filter((s) => s.name === 'RunActivity:addWelcomeLabel');
  assert.equal(attempts.length, 2);
  assert.ok(attempts.every((s) => s.status.code !== SpanStatusCode.ERROR));
});
