// A user's handler is traced inside its delivery's trace: the workflow → the handler's activity
// (named by its handler in the UI, marked with the delivery) → each request its Octokit made, as
// the client's own spans with the route template.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SpanKind, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startTracedHookflow, type TracedHookflow } from './helpers/tracing';

let t: TracedHookflow;

before(async () => {
  t = await startTracedHookflow({
    app: path.join(__dirname, 'fixtures', 'apps', 'triage.ts'),
    env: { HOOKFLOW_MUTATION_SPACING_MS: '0' },
    repo: ['octo/traced-app', { id: 702, installation: '7002', issues: 1, commentsPerIssue: 0 }],
  });
});

after(() => t.close());

test("a handler's activity and its API calls are spans of the delivery's trace", async () => {
  const delivery = githubDelivery({
    event: 'issues',
    payload: {
      action: 'opened',
      issue: t.fake.issueJson('octo/traced-app', 1),
      repository: { id: 702, full_name: 'octo/traced-app', name: 'traced-app', owner: { login: 'octo' } },
      installation: { id: 7002 },
    },
  });
  const answer = await t.h.post(delivery);
  assert.equal(answer.status, 202);
  const key = String(answer.body.workflowId);
  await t.h.waitForOutcome(key, 'completed');
  const deliveryId = delivery.headers['x-github-delivery'];

  // Workflow spans leave through the sink after the workflow's last activity: wait for them.
  let spans: ReadableSpan[] = [];
  const handlerSpan = () =>
    spans.find(
      (s) => s.name === 'RunActivity:runHandler' && s.attributes['hookflow.delivery.id'] === deliveryId,
    );
  await waitFor('the handler and workflow spans', async () => {
    await t.tracing.flush();
    spans = t.exporter.getFinishedSpans();
    const handler = handlerSpan();
    return (
      handler &&
      spans.some(
        (s) => s.name === 'RunWorkflow:onIssues' && s.spanContext().traceId === handler.spanContext().traceId,
      )
    );
  });
  const handler = handlerSpan()!;
  const traceId = handler.spanContext().traceId;
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
  const names = inTrace.map((s) => s.name);
  assert.ok(names.includes('RunWorkflow:onIssues'), names.join(', '));
  assert.ok(names.includes('StartWorkflow:onIssues'), 'the front door’s start is in the same trace');
  const under = (parent: ReadableSpan | Span, name: string) =>
    inTrace.find((s) => s.name === name && s.parentSpanId === (parent as ReadableSpan).spanContext().spanId);
  const comment = under(handler, 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments');
  assert.ok(comment, `the comment's API span under the handler: ${names.join(', ')}`);
  assert.equal(comment.kind, SpanKind.CLIENT);
  assert.equal(comment.attributes['http.response.status_code'], 201);
  assert.ok(under(handler, 'GET /repos/{owner}/{repo}'), 'the read');
  assert.ok(under(handler, 'POST /repos/{owner}/{repo}/issues/{issue_number}/labels'), 'the label');
});
