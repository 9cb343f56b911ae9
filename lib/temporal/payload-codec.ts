// Workflow inputs, results and failure details are stored by Temporal in its histories; this codec
// encrypts each payload with AES-256-GCM before it leaves hookflow, so Temporal's database (and
// anyone reading histories without hookflow's key) sees ciphertext. The shape follows the SDK's
// encryption sample (temporalio/samples-typescript, encryption/src/encryption-codec.ts): the whole
// encoded payload is encrypted into a new payload whose metadata says `binary/encrypted` and names
// the key. Keys rotate as the ledger's do (HOOKFLOW_ENCRYPTION_KEY=new,old…): the newest encrypts,
// every configured key decrypts, and a payload hookflow did not encrypt (a history written before
// encryption was on) passes through as it is. A payload sealed with a key this process lacks fails
// with that key's ID, never as garbage. It gives confidentiality: a payload that is not labelled as
// encrypted is taken as it is (a history from before), so it does not prove where an input came from.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { keyId } from '../crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
/**
 * Authenticated with the ciphertext: the purpose and format (a value the ledger sealed under the same
 * key does not verify as a payload, nor the other way round) and the key ID the metadata names.
 */
const aad = (id: string) => Buffer.from(`hookflow/temporal-payload/v1:${id}`);
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload that cannot be decrypted here: names the key it needs. */
export class MissingKeyError extends Error {}

export interface EncryptionCodec extends PayloadCodec {
  /** The ID of the key new payloads are encrypted with. */
  readonly keyId: string;
}

export function encryptionCodec(
  keys: readonly Buffer[],
  o: { onDecode?: ((keyId: string) => void) | undefined } = {},
): EncryptionCodec {
  if (keys.length === 0) throw new Error('the payload codec needs at least one key');
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  const currentId = keyId(current);

  function encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current, iv);
    cipher.setAAD(aad(currentId));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID]: encoder.encode(currentId) },
      data,
    };
  }

  function decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID];
    const id = idBytes ? decoder.decode(idBytes) : '(none)';
    const key = byId.get(id);
    if (!key)
      throw new MissingKeyError(
        `a Temporal payload is encrypted with key ${id}, which is not among HOOKFLOW_ENCRYPTION_KEY: add that key (after the newest) to decode it`,
      );
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new Error(`an encrypted Temporal payload (key ${id}) is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(aad(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new Error(`an encrypted Temporal payload (key ${id}) does not authenticate: it was altered`);
    }
    o.onDecode?.(id);
    return temporal.api.common.v1.Payload.decode(plain);
  }

  return {
    keyId: currentId,
    // Failures reject (never throw synchronously), as the SDK expects of a codec.
    encode: (payloads) => Promise.resolve().then(() => payloads.map(encrypt)),
    decode: (payloads) => Promise.resolve().then(() => payloads.map(decrypt)),
  };
}
