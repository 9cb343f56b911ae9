// Secrets hookflow keeps at rest (installation tokens) are sealed with AES-256-GCM, so a copy of the
// database alone does not give them away. Keys rotate: the first key seals, every listed key opens,
// and each sealed value names the key that sealed it.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** The short ID a sealed value (or an encrypted payload) names its key by. */
export const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export function createSealer(keys: Buffer[]): Sealer {
  if (keys.length === 0) throw new Error('createSealer needs at least one key');
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        'v1',
        keyId(current),
        iv.toString('base64'),
        cipher.getAuthTag().toString('base64'),
        data.toString('base64'),
      ].join('.');
    },
    open(sealed) {
      const [version, id, iv, tag, data] = sealed.split('.');
      const key = byId.get(id ?? '');
      if (version !== 'v1' || !key || !iv || !tag || data === undefined) {
        throw new Error(
          `cannot open a sealed value: ${key ? 'malformed' : `key ${id} is not among HOOKFLOW_ENCRYPTION_KEY`}`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * Raw delivery bodies kept in the ledger for replay (and read back by the outbox relay): bytes in,
 * bytes out, as `iv ‖ ciphertext ‖ tag`, with the sealing key's ID kept beside them (a column, so
 * rows can be counted and re-sealed by key). The delivery's key is authenticated with the body, so a
 * body copied onto another row does not open there.
 */
export interface BodyKeyring {
  /** The ID of the key new bodies are sealed with. */
  readonly keyId: string;
  seal(deliveryKey: string, body: Buffer): Buffer;
  /** Throws naming the key when `keyId` is not among the keys. */
  open(deliveryKey: string, sealed: Buffer, keyId: string): Buffer;
}

/** A sealed body that does not verify (altered, truncated, or another row's): no key will open it. */
export class AlteredBodyError extends Error {}

const bodyAad = (id: string, deliveryKey: string) =>
  Buffer.from(`hookflow/ledger-body/v1:${id}:${deliveryKey}`);

export function createBodyKeyring(keys: Buffer[]): BodyKeyring {
  if (keys.length === 0) throw new Error('createBodyKeyring needs at least one key');
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  const currentId = keyId(current);
  return {
    keyId: currentId,
    seal(deliveryKey, body) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(bodyAad(currentId, deliveryKey));
      return Buffer.concat([iv, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    },
    open(deliveryKey, sealed, id) {
      const key = byId.get(id);
      if (!key)
        throw new Error(
          `delivery ${deliveryKey}: its body is sealed with key ${id}, which is not among HOOKFLOW_ENCRYPTION_KEY (add that key back to read it)`,
        );
      if (sealed.length < 28)
        throw new AlteredBodyError(`delivery ${deliveryKey}: its sealed body is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAAD(bodyAad(id, deliveryKey));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
      } catch {
        throw new AlteredBodyError(
          `delivery ${deliveryKey}: its sealed body does not verify under key ${id} (altered, or another row's)`,
        );
      }
    },
  };
}

/**
 * The configured keys, else the data folder's own key, made on first use (the embedded default:
 * one process, one folder). Split deployments must configure HOOKFLOW_ENCRYPTION_KEY so every
 * worker opens what the others sealed.
 */
export function encryptionKeys(configured: Buffer[], dataDir: string): Buffer[] {
  if (configured.length > 0) return configured;
  const file = path.join(dataDir, 'encryption.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return keyOf(file);
}

/**
 * The keys to open what another process sealed: the configured ones, else the data folder's key if
 * there is one (the embedded default, where the worker made it). Never makes one: a key made here
 * would open nothing.
 */
export function existingEncryptionKeys(configured: Buffer[], dataDir: string): Buffer[] {
  if (configured.length > 0) return configured;
  const file = path.join(dataDir, 'encryption.key');
  if (!existsSync(file))
    throw new Error(
      'HOOKFLOW_ENCRYPTION_KEY is not set: set it to the key the hook secrets were sealed with',
    );
  return keyOf(file);
}

/**
 * The keys encryption at rest uses (Temporal payloads, ledger bodies): the configured ones, else the
 * data folder's. `make`: make the folder's key when it has none (the embedded default, encrypting);
 * otherwise a folder without one gives none.
 */
export function atRestKeys(configured: Buffer[], dataDir: string | undefined, make: boolean): Buffer[] {
  if (configured.length > 0) return configured;
  if (!dataDir) return [];
  if (make) return encryptionKeys([], dataDir);
  const file = path.join(dataDir, 'encryption.key');
  return existsSync(file) ? keyOf(file) : [];
}

function keyOf(file: string): Buffer[] {
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return [key];
}
