// History encryption (HOOKFLOW_HISTORY_ENCRYPTION=on) on real Temporal: a delivery naming a private
// repository runs to completion (the worker decrypts what the server encrypted), every payload in its
// history as Temporal stores it is ciphertext naming hookflow's key, hookflow's own client reads the
// result, and a client with another key is told which key it lacks.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { keyId } from '../lib/crypto';
import { ENCRYPTED_ENCODING, encryptionCodec } from '../lib/temporal/payload-codec';
import { SEAL_KEY } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { testEnv } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const PRIVATE_REPO = 'octo/very-private-repository';

let h: Harness;
let connection: Connection;
before(async () => {
  h = await startHookflow({
    env: { HOOKFLOW_HISTORY_ENCRYPTION: 'on', HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64') },
  });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
});
after(async () => {
  await connection?.close();
  await h?.close();
});

/**
 * Every payload in a history (objects with `metadata` and `data`), wherever it sits, but those of
 * search attributes (they stay readable by design: the UI filters on them) and patch markers.
 */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const o = value as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata !== null && typeof o.metadata === 'object') {
    out.push(o);
    return out;
  }
  // The SDK's core writes its markers' own bookkeeping itself, not through the codec: a patch
  // marker's name, a local activity marker's sequence number and type (`data`). What a local
  // activity returned (`result`) is a payload like any other.
  if (o.markerName === 'core_patch') return out;
  if (o.markerName === 'core_local_activity') {
    const details = o.details as Record<string, unknown> | undefined;
    return payloadsIn(details?.result, out);
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'searchAttributes') payloadsIn(v, out);
  return out;
}
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

test("a delivery's history holds only ciphertext; hookflow's clients read it; another key is named", async () => {
  const answer = await h.post(
    githubDelivery({
      event: 'issues',
      payload: {
        action: 'opened',
        issue: { number: 3, title: 'private', user: { login: 'alice' } },
        repository: { full_name: PRIVATE_REPO },
      },
    }),
  );
  assert.equal(answer.status, 202);
  const key = String(answer.body.workflowId);
  await h.waitForOutcome(key, 'completed');

  // As Temporal stores it, read by a client without the codec.
  const raw = new Client({ connection, namespace: h.config.temporal.namespace });
  const history = await raw.workflow.getHandle(key).fetchHistory();
  const payloads = payloadsIn(history.events);
  assert.ok(payloads.length >= 3, `${payloads.length} payloads (the input, activity calls, the result)`);
  for (const p of payloads) {
    assert.equal(text(p.metadata?.encoding), ENCRYPTED_ENCODING, text(p.data).slice(0, 80));
    assert.equal(text(p.metadata?.['encryption-key-id']), keyId(SEAL_KEY));
    assert.equal(text(p.data).includes(PRIVATE_REPO), false, 'a payload in the clear');
  }
  // The same payloads decrypted: the repository was there (the check above could have found it).
  const opened = await encryptionCodec([SEAL_KEY]).decode(payloads);
  assert.ok(opened.some((p) => text(p.data).includes(PRIVATE_REPO)));

  // hookflow's own client decrypts the result.
  assert.equal(typeof (await h.client.workflow.getHandle(key).result()), 'string');
  // A client with another key is told which one it lacks.
  const other = new Client({
    connection,
    namespace: h.config.temporal.namespace,
    dataConverter: { payloadCodecs: [encryptionCodec([randomBytes(32)])] },
  });
  await assert.rejects(other.workflow.getHandle(key).result(), (err: Error) =>
    `${err.message} ${String((err as { cause?: Error }).cause?.message)}`.includes(
      `key ${keyId(SEAL_KEY)}, which is not among HOOKFLOW_ENCRYPTION_KEY`,
    ),
  );
});
