// Every example payload of @octokit/webhooks-examples (real captured GitHub payloads), signed, is
// answered 2xx, and every accepted one runs its workflow to completion — as JSON and form-encoded.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import examples from '@octokit/webhooks-examples/api.github.com/index.json';
import { githubDelivery, type Answer } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';
import { waitFor } from './helpers/env';

interface Example {
  event: string;
  payload: Record<string, unknown>;
}

// Installation events last: an `installation.deleted` example rightly makes later deliveries of that
// installation 403, so they must not run before the other examples of the same installation.
const ORDER = (e: string) => (e === 'installation' ? 2 : e === 'installation_repositories' ? 1 : 0);
const all: Example[] = (examples as { name: string; examples: Record<string, unknown>[] }[])
  .flatMap((group) => group.examples.map((payload) => ({ event: group.name, payload })))
  .sort((a, b) => ORDER(a.event) - ORDER(b.event));

async function postAll(h: Harness, form: boolean): Promise<{ example: Example; answer: Answer }[]> {
  const results: { example: Example; answer: Answer }[] = [];
  for (const phase of [0, 1, 2]) {
    const batch = all.filter((e) => ORDER(e.event) === phase);
    // A few at a time, like a busy GitHub hook.
    for (let i = 0; i < batch.length; i += 8) {
      const slice = batch.slice(i, i + 8);
      const answers = await Promise.all(
        slice.map((example) =>
          h.post(githubDelivery({ event: example.event, payload: example.payload, form })),
        ),
      );
      slice.forEach((example, j) => results.push({ example, answer: answers[j] }));
    }
  }
  return results;
}

describe('@octokit/webhooks-examples', () => {
  const harnesses: Harness[] = [];
  after(() => Promise.all(harnesses.map((h) => h.close())));

  for (const form of [false, true]) {
    test(`all ${all.length} examples ${form ? 'form-encoded' : 'as JSON'}: 2xx, and accepted workflows complete`, async () => {
      const h = await startHookflow();
      harnesses.push(h);
      const results = await postAll(h, form);
      const not2xx = results.filter((r) => r.answer.status < 200 || r.answer.status > 299);
      assert.deepEqual(
        not2xx.map(
          (r) =>
            `${r.example.event}.${String(r.example.payload.action)}: ${r.answer.status} ${JSON.stringify(r.answer.body)}`,
        ),
        [],
      );
      const accepted = results.filter((r) => r.answer.body.status === 'accepted');
      const byStatus = (s: string) => results.filter((r) => r.answer.body.status === s).length;
      // Every handled event is among the accepted ones; pings are answered; the rest are ignored.
      assert.deepEqual(
        new Set(accepted.map((r) => r.example.event)),
        new Set([
          'installation',
          'installation_repositories',
          'issues',
          'issue_comment',
          'pull_request',
          'push',
        ]),
      );
      assert.equal(byStatus('ok'), all.filter((e) => e.event === 'ping').length);
      assert.equal(accepted.length + byStatus('ok') + byStatus('ignored'), all.length);

      await waitFor(
        'every accepted delivery to complete',
        async () => {
          const rows = await Promise.all(
            accepted.map((r) => h.store.getDelivery(String(r.answer.body.workflowId))),
          );
          const failed = rows.filter((r) => r?.outcome === 'failed');
          assert.deepEqual(
            failed.map((r) => `${r!.ref.key}: ${r!.reason}`),
            [],
          );
          return rows.every((r) => r?.outcome === 'completed');
        },
        60_000,
        250,
      );
    });
  }
});
