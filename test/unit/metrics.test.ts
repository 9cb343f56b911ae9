// The metrics object on its own, no server: budgets stay bounded, gauges read at each scrape never
// show a stale sample, counters add up, and the exposition ends with a line feed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, MAX_BUDGET_SERIES } from '../../lib/telemetry/metrics';
import { createScrapeGauges } from '../../lib/telemetry/scrape-gauges';

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

test('scrape gauges: label values are escaped, and nothing is written before a first sample', async () => {
  const gauges = createScrapeGauges(50);
  assert.equal(await gauges.text(), '');
  gauges.recordBudget({ installation: 'a"b\\c\nd', resource: 'core', remaining: 1, limit: 2 });
  assert.match(
    await gauges.text(),
    /^hookflow_api_rate_limit_remaining\{installation="a\\"b\\\\c\\nd",resource="core"\} 1$/m,
  );
  gauges.observe('hookflow_outbox_depth', 'Deliveries waiting', () => Promise.resolve(7));
  gauges.observe('hookflow_outbox_depth', 'Deliveries waiting', () => Promise.resolve(8));
  const text = await gauges.text();
  assert.match(
    text,
    /^# TYPE hookflow_outbox_depth gauge\nhookflow_outbox_depth 8$/m,
    'the newest source wins',
  );
});
