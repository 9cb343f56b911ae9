// The data converter every client and worker gets: encryption on encrypts with the newest key; off,
// nothing new is encrypted but what was still decodes; the command line never makes a key of its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { loadConfig } from '../../lib/config';
import { dataConverterFor } from '../../lib/temporal/data-converter';
import { ENCRYPTED_ENCODING, encryptionCodec } from '../../lib/temporal/payload-codec';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const key = randomBytes(32);
const config = (env: Record<string, string>) =>
  loadConfig({ HOOKFLOW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'hookflow-dc-')), ...env });
const codecOf = (c: ReturnType<typeof dataConverterFor>): PayloadCodec => {
  assert.equal(c.payloadCodecs?.length, 1);
  return c.payloadCodecs[0];
};

describe('dataConverterFor', () => {
  const value = defaultPayloadConverter.toPayload({ email: 'alice@example.com' });

  test('on: encrypts, and failure messages travel as payloads', async () => {
    const c = dataConverterFor(config({ HOOKFLOW_ENCRYPTION_KEY: key.toString('base64') }));
    assert.match(String(c.failureConverterPath), /failure-converter/);
    const [sealed] = await codecOf(c).encode([value]);
    assert.equal(text(sealed.metadata?.encoding), ENCRYPTED_ENCODING);
  });

  test('off: nothing new is encrypted, and what was encrypted still decodes', async () => {
    const [sealed] = await encryptionCodec([key]).encode([value]);
    const off = dataConverterFor(
      config({ HOOKFLOW_HISTORY_ENCRYPTION: 'off', HOOKFLOW_ENCRYPTION_KEY: key.toString('base64') }),
    );
    const codec = codecOf(off);
    assert.deepEqual(await codec.encode([value]), [value]);
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened), { email: 'alice@example.com' });
    // Without any key there is nothing to decode with: no codec at all.
    assert.equal(dataConverterFor(config({ HOOKFLOW_HISTORY_ENCRYPTION: 'off' })).payloadCodecs, undefined);
  });

  test('existingKeysOnly (the command line): no data folder key is made; the error says what to set', () => {
    const c = config({});
    assert.throws(
      () => dataConverterFor(c, { existingKeysOnly: true }),
      /HOOKFLOW_ENCRYPTION_KEY is not set/,
    );
    assert.equal(existsSync(path.join(c.dataDir, 'encryption.key')), false);
    dataConverterFor(c);
    assert.equal(existsSync(path.join(c.dataDir, 'encryption.key')), true, 'the embedded default makes it');
    assert.ok(dataConverterFor(c, { existingKeysOnly: true }).payloadCodecs);
  });
});
