// History encryption (HOOKFLOW_HISTORY_ENCRYPTION=on) on real Temporal: a delivery naming a private
// repository runs to completion (the worker decrypts what the server encrypted), every payload in its
// history as Temporal stores it is ciphertext naming hookflow's key, hookflow's own client reads the
// result, its codec endpoint decodes for the token's holder only, and a client with another key is
// told which key it lacks. A failure's message and stack are sealed too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { keyId } from '../lib/crypto';
import { ENCRYPTED_ENCODING, encryptionCodec } from '../lib/temporal/payload-codec';
import { payloadToJson } from '../server/codec-endpoint';
import { SEAL_KEY } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { testEnv } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const PRIVATE_REPO = 'octo/very-private-repository';
const CODEC_TOKEN = 'history-encryption-codec-token-0123456789';
const run = promisify(execFile);

let h: Harness;
let connection: Connection;
before(async () => {
  h = await startHookflow({
    env: {
      HOOKFLOW_HISTORY_ENCRYPTION: 'on',
      HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64'),
      HOOKFLOW_CODEC_TOKEN: CODEC_TOKEN,
    },
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

  // Through hookflow's codec endpoint, as the Temporal UI and CLI ask it: decoded with the token only.
  const asJson = { payloads: payloads.map(payloadToJson) };
  const decode = (headers: Record<string, string>) =>
    fetch(`${h.codecUrl}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': h.config.temporal.namespace, ...headers },
      body: JSON.stringify(asJson),
    });
  const withToken = await decode({ authorization: `Bearer ${CODEC_TOKEN}` });
  assert.equal(withToken.status, 200);
  const decoded = (await withToken.json()) as { payloads: { data: string }[] };
  assert.ok(decoded.payloads.some((p) => Buffer.from(p.data, 'base64').toString().includes(PRIVATE_REPO)));
  const without = await decode({});
  assert.equal(without.status, 401);
  assert.equal((await without.text()).includes(PRIVATE_REPO), false);

  // The `temporal` CLI: ciphertext on its own; the delivery's body with --codec-endpoint and the token.
  // Its JSON output shows each payload's bytes in base64: they are read back before looking.
  const shown = async (...codec: string[]) => {
    const { stdout } = await run(testEnv.cli, [
      'workflow',
      'show',
      '--address',
      testEnv.temporalAddress,
      '--namespace',
      h.config.temporal.namespace,
      '--workflow-id',
      key,
      '--output',
      'json',
      ...codec,
    ]);
    return payloadsIn(
      JSON.parse(stdout, (k, v: unknown) =>
        (k === 'data' || k === 'encoding') && typeof v === 'string' ? Buffer.from(v, 'base64') : v,
      ),
    ).map((p) => text(p.data));
  };
  const plainShown = await shown();
  assert.ok(plainShown.length >= 3, `${plainShown.length} payloads shown`);
  assert.equal(
    plainShown.some((t) => t.includes(PRIVATE_REPO)),
    false,
  );
  for (const codec of [
    ['--codec-endpoint', String(h.codecUrl), '--codec-auth', `Bearer ${CODEC_TOKEN}`],
    ['--codec-endpoint', `${h.codecUrl}/${CODEC_TOKEN}`],
  ])
    assert.ok(
      (await shown(...codec)).some((t) => t.includes(PRIVATE_REPO)),
      codec.join(' '),
    );

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

/** Every failure in a history: what the failure converter wrote, wherever it sits. */
function failuresIn(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const o = value as Record<string, unknown>;
  if (typeof o.message === 'string' && ('encodedAttributes' in o || 'stackTrace' in o)) out.push(o);
  for (const v of Object.values(o)) failuresIn(v, out);
  return out;
}

test("a failure's message and stack are sealed in the history; hookflow's client reads them", async () => {
  // An installation event naming no installation fails: its message names the delivery.
  const answer = await h.post(githubDelivery({ event: 'installation', payload: { action: 'created' } }));
  assert.equal(answer.status, 202);
  const key = String(answer.body.workflowId);
  await assert.rejects(h.client.workflow.getHandle(key).result(), (err: Error) =>
    String((err as { cause?: Error }).cause?.message).includes(`${key} names no installation`),
  );

  const raw = new Client({ connection, namespace: h.config.temporal.namespace });
  const failures = failuresIn((await raw.workflow.getHandle(key).fetchHistory()).events);
  assert.ok(failures.length >= 2, `${failures.length} failures (the activity's, the workflow's)`);
  for (const f of failures) {
    assert.equal(f.message, 'Encoded failure');
    assert.equal(f.stackTrace ?? '', '');
    const sealed = f.encodedAttributes as Payload;
    assert.equal(text(sealed.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed.data).includes(key), false, 'a failure message in the clear');
  }
  const [opened] = await encryptionCodec([SEAL_KEY]).decode([failures[0].encodedAttributes as Payload]);
  assert.match(text(opened.data), /names no installation/);
});

test('HOOKFLOW_SEARCH_REPOSITORY=off: the repository name is nowhere in the history, search attributes included', async () => {
  const off = await startHookflow({
    env: {
      HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64'),
      HOOKFLOW_SEARCH_REPOSITORY: 'off',
    },
  });
  try {
    const answer = await off.post(
      githubDelivery({
        event: 'issues',
        payload: { action: 'opened', issue: { number: 4 }, repository: { full_name: PRIVATE_REPO } },
      }),
    );
    const key = String(answer.body.workflowId);
    await off.waitForOutcome(key, 'completed');
    const raw = new Client({ connection, namespace: off.config.temporal.namespace });
    const history = await raw.workflow.getHandle(key).fetchHistory();
    const attributes = history.events?.[0].workflowExecutionStartedEventAttributes?.searchAttributes;
    const names = Object.keys(attributes?.indexedFields ?? {});
    assert.ok(names.includes('HookflowEvent'), names.join(', '));
    assert.equal(names.includes('HookflowRepository'), false);
    // Every byte Temporal holds for the run, as text: the name is not there (it is in the delivery).
    const everything = JSON.stringify(history.events, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
    assert.match(everything, /HookflowEvent/, 'the check reads the bytes');
    assert.equal(everything.includes(PRIVATE_REPO), false);
  } finally {
    await off.close();
  }
});
