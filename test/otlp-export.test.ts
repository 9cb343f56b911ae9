// Export configured only by the standard OTEL_* variables: a real worker process with
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends its spans — the
// workflow's, from the sandbox, included — and its metrics to an OTLP/HTTP receiver. Without any
// OTEL_* variable, nothing is exported.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { loadConfig } from '../lib/config';
import { startTracing } from '../lib/telemetry/tracing';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, issueOpened, startFake } from './helpers/api';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

interface OtlpSpan {
  name: string;
  traceId: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}
interface OtlpMetrics {
  resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[];
}

const received: { path: string; contentType: string; raw: Buffer }[] = [];
const json = (raw: Buffer) => JSON.parse(raw.toString('utf8')) as unknown;
let receiver: http.Server;
let endpoint: string;
let fake: FakeGitHub;
let h: Harness;

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        raw: Buffer.concat(chunks),
      });
      const asJson = /json/.test(req.headers['content-type'] ?? '');
      res
        .writeHead(200, { 'content-type': asJson ? 'application/json' : 'application/x-protobuf' })
        .end(asJson ? '{}' : '');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  fake = await startFake();
  h = await startHookflow({
    worker: false,
    env: apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage' }),
  });
  await installRepo(h, fake, 'octo/otlp', { id: 601, installation: '6001', issues: 2, commentsPerIssue: 0 });
});

after(async () => {
  await h.close();
  await fake.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test('a worker process exports spans and metrics over OTLP/HTTP JSON, as OTEL_* says', async () => {
  const worker = spawnWorker(h, {
    ...apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage' }),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'hookflow-worker-under-test',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=otlp-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  try {
    const answer = await h.post(issueOpened(fake, 'octo/otlp', 1, 6001));
    await h.waitForOutcome(String(answer.body.workflowId), 'completed');
    const names = () =>
      received
        .filter((r) => r.path === '/v1/traces')
        .flatMap((r) => (json(r.raw) as OtlpTraces).resourceSpans)
        .flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.name)));
    const wanted = [
      'RunWorkflow:onIssues',
      'RunActivity:addWelcomeLabel',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
    ];
    await waitFor('the worker’s spans to arrive', () =>
      Promise.resolve(wanted.every((n) => names().includes(n))),
    );
    const traces = received.find((r) => r.path === '/v1/traces')!;
    assert.match(traces.contentType, /application\/json/);
    const resource = (json(traces.raw) as OtlpTraces).resourceSpans[0].resource.attributes;
    const attribute = (key: string) => resource.find((a) => a.key === key)?.value.stringValue;
    assert.equal(attribute('service.name'), 'hookflow-worker-under-test');
    assert.equal(attribute('deployment.environment'), 'otlp-test');
    const metricNames = () =>
      received
        .filter((r) => r.path === '/v1/metrics')
        .flatMap((r) => (json(r.raw) as OtlpMetrics).resourceMetrics)
        .flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)));
    await waitFor('the worker’s metrics to arrive', () =>
      Promise.resolve(metricNames().includes('hookflow_api_requests')),
    );
  } finally {
    worker.kill('SIGTERM');
    await exited(worker);
  }
});

test('http/protobuf, the default protocol, exports the same spans', async () => {
  received.length = 0;
  const worker = spawnWorker(h, {
    ...apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage' }),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  try {
    const answer = await h.post(issueOpened(fake, 'octo/otlp', 2, 6001));
    await h.waitForOutcome(String(answer.body.workflowId), 'completed');
    // Protobuf carries span names as plain UTF-8 strings.
    const exported = () =>
      Buffer.concat(received.filter((r) => r.path === '/v1/traces').map((r) => r.raw)).toString('latin1');
    await waitFor('the worker’s spans to arrive', () =>
      Promise.resolve(
        ['RunWorkflow:onIssues', 'POST /repos/{owner}/{repo}/issues/{issue_number}/labels'].every((n) =>
          exported().includes(n),
        ),
      ),
    );
    assert.ok(
      received
        .filter((r) => r.path === '/v1/traces')
        .every((r) => r.contentType === 'application/x-protobuf'),
    );
    assert.ok(exported().includes('hookflow-worker'), 'the default service name');
  } finally {
    worker.kill('SIGTERM');
    await exited(worker);
  }
});

test('with no OTEL_* variable, tracing stays off and metrics are not pushed', () => {
  const config = loadConfig({});
  assert.deepEqual(config.telemetry.traces.exporters, []);
  assert.equal(config.telemetry.metrics.otlp, false);
  assert.equal(startTracing(config.telemetry, 'hookflow'), undefined);
});
