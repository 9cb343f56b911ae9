// 50 concurrent copies of one delivery: exactly one workflow run, the other 49 answered duplicate —
// on both storage paths.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { githubDelivery, githubKeyOf } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

describe('concurrent copies of one delivery', () => {
  const harnesses: Harness[] = [];
  after(() => Promise.all(harnesses.map((h) => h.close())));

  for (const storage of ['postgres', 'embedded'] as const) {
    test(`50 at once → one run, 49 duplicates (${storage} store)`, async () => {
      const h = await startHookflow({ storage });
      harnesses.push(h);
      const d = githubDelivery({
        event: 'issues',
        payload: { action: 'opened', issue: { number: 1 }, repository: { full_name: 'acme/api' } },
      });
      const answers = await Promise.all(Array.from({ length: 50 }, () => h.post(d)));
      const statuses = answers.map((a) => `${a.status} ${String(a.body.status)}`).sort();
      assert.deepEqual(
        Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])),
        { '202 accepted': 1, '200 duplicate': 49 },
      );
      const key = githubKeyOf(d);
      await h.waitForOutcome(key, 'completed');
      const runs = await waitFor('the run to be visible', async () => {
        const found = [];
        for await (const w of h.client.workflow.list({ query: `WorkflowId = "${key}"` })) found.push(w);
        return found.length > 0 ? found : undefined;
      });
      assert.equal(runs.length, 1);
      assert.equal((await h.store.getDelivery(key))?.receiveCount, 50);
    });
  }
});
