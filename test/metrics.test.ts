// `/metrics` on the server reflects a known sequence of deliveries exactly; the metrics object's own
// behaviour (bounded budgets, sources read at each scrape) is tested in test/unit/metrics.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
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

    const res = await fetch(h.metricsUrl);
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
