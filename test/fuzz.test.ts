// Property-based fuzzing of headers and bodies: hookflow never answers 5xx, and without a valid
// signature it never writes a ledger row or starts a workflow.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { GITHUB_SHA1, GITHUB_SHA256, sign } from '../server/signature';
import { post } from './helpers/deliveries';
import { startHookflow, type Harness } from './helpers/harness';

const visible = fc.string({
  unit: fc.constantFrom(...'abcdefABCDEF0123456789-_.:=/ ;,"xyz'.split('')),
  maxLength: 80,
});
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/xml',
  '',
);
const events = fc.constantFrom(
  'issues',
  'push',
  'ping',
  'installation',
  'star',
  '',
  'ISSUES',
  '../x',
  'a'.repeat(80),
);
const ids = fc.oneof(fc.uuid(), visible, fc.constant(''));
const bodies = fc.oneof(
  fc.json().map((j) => Buffer.from(j)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => Buffer.from(new URLSearchParams({ payload: j }).toString())),
  fc.constant(Buffer.from('{"action":"opened","installation":{"id":1},"repository":{"full_name":"a/b"}}')),
);

/** Signatures that are never valid for the body with the configured secret. */
const badSignatures = (body: Buffer) =>
  fc.oneof(
    visible,
    fc.constant(sign(GITHUB_SHA256, 'not-the-secret', body)),
    fc.constant(sign(GITHUB_SHA256, 'test-secret', Buffer.concat([body, Buffer.from(' ')]))),
    fc.constant(sign(GITHUB_SHA1, 'test-secret', body)),
    fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 64, maxLength: 64 })
      .map((h) => `sha256=${h}`),
  );

function headersOf(o: {
  contentType: string;
  event: string;
  id: string;
  hookId?: string | undefined;
}): Record<string, string> {
  const h: Record<string, string> = {};
  if (o.contentType) h['content-type'] = o.contentType;
  if (o.event) h['x-github-event'] = o.event;
  if (o.id) h['x-github-delivery'] = o.id;
  if (o.hookId) h['x-github-hook-id'] = o.hookId;
  return h;
}

describe('fuzzing the front door', () => {
  let h: Harness;
  before(async () => {
    h = await startHookflow({ env: { HOOKFLOW_BODY_LIMIT: '4kb' } });
  });
  after(() => h.close());

  test('unsigned or wrongly signed requests: never 5xx, never stored, never started', async () => {
    const request = fc
      .record({
        contentType: contentTypes,
        event: events,
        id: ids,
        hookId: fc.option(visible, { nil: undefined }),
        body: bodies,
      })
      .chain((r) =>
        fc.record({
          r: fc.constant(r),
          sig: fc.option(badSignatures(r.body), { nil: undefined }),
          sha1: fc.boolean(),
        }),
      );
    await fc.assert(
      fc.asyncProperty(request, async ({ r, sig, sha1 }) => {
        const headers = headersOf(r);
        if (sig !== undefined) headers[sha1 ? 'x-hub-signature' : 'x-hub-signature-256'] = sig;
        const res = await post(h.webhookUrl, { headers, body: r.body });
        assert.ok(
          res.status >= 400 && res.status < 500,
          `answered ${res.status} ${JSON.stringify(res.body)}`,
        );
      }),
      { numRuns: 300 },
    );
    const { rows } = await h.store.db.query<{ n: string }>('SELECT count(*) AS n FROM deliveries');
    assert.equal(Number(rows[0].n), 0);
    const started = await h.client.workflow.count(`TaskQueue = "${h.taskQueue}"`);
    assert.equal(started.count, 0);
  });

  test('validly signed requests with arbitrary headers and bodies: never 5xx', async () => {
    const request = fc.record({
      contentType: contentTypes,
      event: events,
      id: ids,
      hookId: fc.option(fc.constantFrom('1', '99', 'x'), { nil: undefined }),
      body: bodies,
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers = {
          ...headersOf(r),
          'x-hub-signature-256': sign(GITHUB_SHA256, 'test-secret', r.body),
        };
        const res = await post(h.webhookUrl, { headers, body: r.body });
        assert.ok(res.status < 500, `answered ${res.status} ${JSON.stringify(res.body)}`);
      }),
      { numRuns: 300 },
    );
  });
});
