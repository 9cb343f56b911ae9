// Sealing stored tokens (AES-256-GCM): key rotation, and the embedded default's own key file.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createSealer, encryptionKeys } from '../../lib/crypto';

test('sealed values open with any listed key and name the key that sealed them', () => {
  const a = Buffer.alloc(32, 1);
  const b = Buffer.alloc(32, 2);
  const sealed = createSealer([a]).seal('ghs_secret');
  assert.doesNotMatch(sealed, /ghs_secret/);
  assert.equal(createSealer([b, a]).open(sealed), 'ghs_secret');
  assert.throws(() => createSealer([b]).open(sealed), /not among HOOKFLOW_ENCRYPTION_KEY/);
});

test('the embedded default makes its own key in the data folder, private, and keeps it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-key-'));
  const [key] = encryptionKeys([], dir);
  assert.equal(key.length, 32);
  assert.equal(statSync(path.join(dir, 'encryption.key')).mode & 0o777, 0o600);
  assert.deepEqual(encryptionKeys([], dir), [key]);
  const configured = [Buffer.alloc(32, 9)];
  assert.equal(encryptionKeys(configured, dir), configured);
});
