// A delivery's payload as the activities read it: from the ledger, where the front door stored it.
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../lib/contracts/failure-types';
import { AlteredBodyError } from '../lib/crypto';
import type { Store } from '../lib/storage';

/** Reads a delivery's payload back from the ledger, exactly as it arrived. */
export async function loadPayload(store: Store, key: string): Promise<Record<string, unknown>> {
  // A missing key is retried (adding it back to HOOKFLOW_ENCRYPTION_KEY heals it); a body that
  // does not verify never will.
  const row = await store.getDelivery(key).catch((err: unknown) => {
    if (!(err instanceof AlteredBodyError)) throw err;
    throw ApplicationFailure.create({
      type: FAILURE.payloadUnavailable,
      message: `the payload of ${key} cannot be read: ${err.message}`,
      nonRetryable: true,
    });
  });
  if (!row?.rawBody) {
    // Purged by retention or deleted with its installation: retrying cannot bring it back.
    throw ApplicationFailure.create({
      type: FAILURE.payloadUnavailable,
      message: `the payload of ${key} is no longer stored`,
      nonRetryable: true,
    });
  }
  const text =
    row.contentType === 'form'
      ? (new URLSearchParams(row.rawBody.toString('utf8')).get('payload') ?? '')
      : row.rawBody.toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/** One object field of a payload (`issue`, `comment`…), or undefined when it is absent or not an object. */
export function payloadObject(
  payload: Record<string, unknown>,
  field: string,
): Record<string, unknown> | undefined {
  const v = payload[field];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}
