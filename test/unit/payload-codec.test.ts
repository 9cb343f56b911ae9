// The Temporal payload codec: what leaves hookflow is ciphertext naming its key; the newest key
// encrypts and every configured key decrypts; plain payloads (histories written before encryption)
// pass through; a missing key is named; an altered payload is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createSealer, keyId } from '../../lib/crypto';
import { ENCRYPTED_ENCODING, encryptionCodec, MissingKeyError } from '../../lib/temporal/payload-codec';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
/** Everything a payload holds as text: its data and every metadata value. */
const allText = (p: Payload) =>
  [text(p.data), ...Object.values(p.metadata ?? {}).map((v) => text(v))].join('\n');

describe('the payload codec', () => {
  const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
  const value = { email: 'alice@example.com', repository: 'octo/private' };
  const plain = defaultPayloadConverter.toPayload(value);

  test('encrypts into a payload naming its key, and decrypts back to the same payload', async () => {
    const codec = encryptionCodec([newKey]);
    const [sealed] = await codec.encode([plain]);
    assert.equal(text(sealed.metadata!.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed.metadata!['encryption-key-id']), keyId(newKey));
    assert.ok(allText(plain).includes('alice@example.com'), 'the check below can find it');
    assert.equal(allText(sealed).includes('alice@example.com'), false);
    assert.equal(allText(sealed).includes('octo/private'), false);
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened), value);
    // A fresh IV each time: the same value never encrypts the same way twice.
    const [again] = await codec.encode([plain]);
    assert.notDeepEqual(Buffer.from(again.data!), Buffer.from(sealed.data!));
  });

  test('old keys keep decoding after a rotation; new payloads use the newest', async () => {
    const [sealedOld] = await encryptionCodec([oldKey]).encode([plain]);
    const rotated = encryptionCodec([newKey, oldKey]);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([sealedOld]))[0]), value);
    const [sealedNew] = await rotated.encode([plain]);
    assert.equal(text(sealedNew.metadata!['encryption-key-id']), keyId(newKey));
  });

  test('a payload it did not encrypt passes through', async () => {
    assert.deepEqual(await encryptionCodec([newKey]).decode([plain]), [plain]);
  });

  test('a dropped key is named; an altered payload is refused', async () => {
    const [sealedOld] = await encryptionCodec([oldKey]).encode([plain]);
    await assert.rejects(
      encryptionCodec([newKey]).decode([sealedOld]),
      (err) => err instanceof MissingKeyError && err.message.includes(`key ${keyId(oldKey)}`),
    );
    const data = Buffer.from(sealedOld.data!);
    data[20] = data[20] ^ 1;
    await assert.rejects(
      encryptionCodec([oldKey]).decode([{ ...sealedOld, data }]),
      /does not authenticate: it was altered/,
    );
  });

  test('a truncated payload, a key ID swapped for another configured key, or a ledger value are refused', async () => {
    const both = encryptionCodec([newKey, oldKey]);
    const [sealed] = await both.encode([plain]);
    await assert.rejects(both.decode([{ ...sealed, data: sealed.data!.subarray(0, 20) }]), /is truncated/);
    const swapped = {
      ...sealed,
      metadata: { ...sealed.metadata, 'encryption-key-id': Buffer.from(keyId(oldKey)) },
    };
    await assert.rejects(both.decode([swapped]), /does not authenticate/);
    // A value the ledger sealed under the same key, reassembled as a payload, does not verify.
    const [, , iv, tag, data] = createSealer([newKey]).seal('{"forged":true}').split('.');
    const fromLedger = {
      metadata: sealed.metadata ?? null,
      data: Buffer.concat([
        Buffer.from(iv, 'base64'),
        Buffer.from(data, 'base64'),
        Buffer.from(tag, 'base64'),
      ]),
    };
    await assert.rejects(both.decode([fromLedger]), /does not authenticate/);
  });
});
