// A delivery's payload read back for its workflow: a body that does not verify fails the delivery at
// once (no key will ever open it); a missing key is an ordinary error, retried until it is added back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { loadPayload } from '../../activities/payload';
import { createBodyKeyring, keyId as keyIdOf } from '../../lib/crypto';
import type { Store } from '../../lib/storage';

const storeOpening = (open: () => Buffer) =>
  ({
    getDelivery: () => Promise.resolve().then(open),
  }) as unknown as Store;

test('an altered body: a non-retryable failure naming the delivery; a missing key: retried', async () => {
  const [key, other] = [randomBytes(32), randomBytes(32)];
  const sealed = createBodyKeyring([key]).seal('github:-:1', Buffer.from('{"a":1}'));
  const altered = Buffer.from(sealed);
  altered[14] ^= 1;
  await assert.rejects(
    loadPayload(
      storeOpening(() => createBodyKeyring([key]).open('github:-:1', altered, 'k')),
      'github:-:1',
    ),
    (err: unknown) =>
      !(err instanceof ApplicationFailure) && /not among HOOKFLOW_ENCRYPTION_KEY/.test(String(err)),
  );
  const keyId = keyIdOf(key);
  await assert.rejects(
    loadPayload(
      storeOpening(() => createBodyKeyring([key]).open('github:-:1', altered, keyId)),
      'github:-:1',
    ),
    (err: unknown) =>
      err instanceof ApplicationFailure &&
      err.nonRetryable &&
      /github:-:1 cannot be read: .*does not verify/.test(err.message),
  );
  await assert.rejects(
    loadPayload(
      storeOpening(() => createBodyKeyring([other]).open('github:-:1', sealed, keyId)),
      'github:-:1',
    ),
    (err: unknown) =>
      !(err instanceof ApplicationFailure) &&
      new RegExp(`key ${keyId}, which is not among`).test(String(err)),
  );
});
