// `/metrics` on the server reflects a known sequence of deliveries exactly (O2).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createMetrics, MAX_BUDGET_SERIES } from '../lib/telemetry/metrics';
import { githubDelivery } from './helpers/deliveries';
import { withHookflow } from './helpers/harness';

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (want.every(([k, v]) => have[k] === v) && Object.keys(have).length === want.length)
      return Number(m[3]);
  }
  return undefined;
}

test('deliveries by outcome, reason and event, and the acknowledgement latency', async () => {
  await withHookflow({ worker: false }, async (h) => {
    const issue = { action: 'opened', issue: { number: 1 }, repository: { full_name: 'acme/api' } };
    const first = githubDelivery({ event: 'issues', payload: issue });
    assert.equal((await h.post(first)).status, 202);
    assert.equal((await h.post(githubDelivery({ event: 'issues', payload: issue }))).status, 202);
    assert.equal((await h.post(first)).status, 200); // the same delivery again: duplicate
    assert.equal(
      (await h.post(githubDelivery({ event: 'star', payload: { action: 'created' } }))).status,
      202,
    );
    assert.equal((await h.post(githubDelivery({ event: 'ping', payload: { zen: 'hi' } }))).status, 200);
    assert.equal(
      (await h.post(githubDelivery({ event: 'issues', payload: issue, secret: 'wrong' }))).status,
      401,
    );
    const wrongType = githubDelivery({ event: 'issues', payload: issue, id: randomUUID() });
    wrongType.headers['content-type'] = 'text/plain';
    assert.equal((await h.post(wrongType)).status, 415);

    const res = await fetch(`${h.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    const deliveries = (outcome: string, reason: string, event: string) =>
      sample(text, 'hookflow_deliveries_total', reason ? { outcome, reason, event } : { outcome, event });
    assert.equal(deliveries('accepted', '', 'issues'), 2, text);
    assert.equal(deliveries('duplicate', '', 'issues'), 1);
    assert.equal(deliveries('ignored', '', 'star'), 1);
    assert.equal(deliveries('ping', '', 'ping'), 1);
    assert.equal(deliveries('rejected', 'signature', 'unknown'), 1);
    assert.equal(deliveries('rejected', 'content-type', 'unknown'), 1);
    assert.match(text, /^hookflow_ack_duration_seconds_count(\{[^}]*\})? 7$/m);
    // Read from storage at each scrape: nothing waits for Temporal here.
    assert.match(text, /^hookflow_outbox_depth 0$/m);
  });
});

test('budgets: at most the most recently seen installations; a gauge whose source fails or hangs has no sample', async () => {
  const metrics = createMetrics('test', undefined, 50);
  for (let i = 1; i <= MAX_BUDGET_SERIES + 1; i++)
    metrics.recordBudget({ installation: String(i), resource: 'core', remaining: 4000 + i, limit: 5000 });
  metrics.recordBudget({ installation: '2', resource: 'core', remaining: 10, limit: 5000 }); // seen again
  let text = await metrics.render();
  const series = text.match(/^hookflow_api_rate_limit_remaining\{/gm) ?? [];
  assert.equal(series.length, MAX_BUDGET_SERIES);
  assert.doesNotMatch(text, /installation="1",/, 'the least recently seen installation is gone');
  assert.match(text, /^hookflow_api_rate_limit_remaining\{installation="2",resource="core"\} 10$/m);
  assert.match(text, /^hookflow_api_rate_limit_limit\{installation="101",resource="core"\} 5000$/m);
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');

  let answer: () => Promise<number> = () => Promise.resolve(4);
  metrics.observeOutboxDepth(() => answer());
  assert.match(await metrics.render(), /^hookflow_outbox_depth 4$/m);
  answer = () => Promise.reject(new Error('storage down'));
  text = await metrics.render();
  assert.doesNotMatch(text, /hookflow_outbox_depth/, 'no stale sample when storage is down');
  answer = () => new Promise(() => undefined); // never answers
  text = await metrics.render();
  assert.doesNotMatch(text, /hookflow_outbox_depth/, 'a scrape does not wait for a hung source');
  await metrics.shutdown();
});

test('the outbox depth is read at each scrape; synced items add up by kind', async () => {
  const metrics = createMetrics('test');
  let depth = 3;
  metrics.observeOutboxDepth(() => Promise.resolve(depth));
  metrics.recordSyncItems('issues', 100);
  metrics.recordSyncItems('issues', 20);
  metrics.recordSyncItems('comments', 0);
  let text = await metrics.render();
  assert.match(text, /^hookflow_outbox_depth 3$/m);
  assert.match(text, /^hookflow_sync_items_total\{kind="issues"\} 120$/m);
  assert.match(text, /^hookflow_sync_items_total\{kind="comments"\} 0$/m);
  depth = 0;
  text = await metrics.render();
  assert.match(text, /^hookflow_outbox_depth 0$/m);
  await metrics.shutdown();
});
