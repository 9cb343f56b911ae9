// The checks every delivery passes before hookflow stores or starts anything, in a fixed order:
//   1 content type (415)  2 body size (413)  3 required headers (400)  4 signature (401)
//   5 a JSON object whose event, action, installation and repository can be stored (400).
// What comes out is a delivery whose signature is verified and whose fields are all present.
import type { Context } from 'koa';
import { deliveryKey, NO_HOOK_ID, type DeliveryRef } from '../lib/contracts/delivery-ref';
import { parsePayload, readDeliveryBody, type DeliveryBody } from './delivery-body';
import { display, EVENT_NAME, readDeliveryHeaders, type DeliveryHeaders } from './delivery-headers';
import { ownValue } from './own-value';
import { fieldAt, type Provider, type Source } from './providers';
import { Refusal } from './refusal';
import { verifySignature } from './signature';

export interface VerifiedDelivery {
  ref: DeliveryRef;
  body: DeliveryBody;
  payload: Record<string, unknown>;
  /** The secrets that verified it. */
  source: Source;
  /**
   * Verified by one of the source's older secrets, not its newest: a sender still signing with a
   * secret that is being rotated away (counted, so a forgotten one shows before its secret retires).
   */
  byOldSecret: boolean;
}

const INSTALLATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
// eslint-disable-next-line no-control-regex -- control characters (NUL included) are what it refuses
const SHORT_TEXT = /^[^\u0000-\u001f\u007f]{1,256}$/;

export async function verifyDelivery(
  ctx: Context,
  provider: Provider,
  bodyLimitBytes: number,
): Promise<VerifiedDelivery> {
  // The raw bytes are read before anything else: the signature covers exactly these.
  const body = await readDeliveryBody(ctx, bodyLimitBytes);
  let headers = await readDeliveryHeaders(ctx, provider);
  let verdict = signatureVerdict(headers, body.raw);
  // A managed hook's secrets as this process last read them may be stale (a rotation elsewhere just
  // added a secret, or retired a leaked one): an unusual verdict reads them again first.
  if (verdict !== 'newest' && headers.source.place) {
    headers = {
      ...headers,
      source: await provider.sourceFor({ hookId: headers.hookId, hub: headers.hub }, true),
    };
    verdict = signatureVerdict(headers, body.raw);
  }
  if (verdict !== 'newest' && verdict !== 'older') throw verdict;
  const payload = parsePayload(body);
  return {
    ref: deliveryRef(provider, headers, payload),
    body,
    payload,
    source: headers.source,
    byOldSecret: verdict === 'older',
  };
}

/**
 * HMAC of the raw bytes: verified by the source's newest secret, or only by an older one (a sender
 * still on a secret being rotated away), or the refusal to answer with. A source without a secret
 * fails closed rather than accepting anything.
 */
function signatureVerdict({ source, signature }: DeliveryHeaders, raw: Buffer): 'newest' | 'older' | Refusal {
  if (source.secrets.length === 0) {
    return new Refusal(
      401,
      'no webhook secret is configured for this hook, so hookflow accepts nothing from it',
    );
  }
  const verdict = verifySignature(signature.scheme, source.secrets, raw, signature.value);
  if (verdict === 'malformed') return new Refusal(401, `${display(signature.header)} is malformed`);
  if (verdict === 'mismatch') {
    return new Refusal(401, `${display(signature.header)} does not match the body: check the webhook secret`);
  }
  // One more HMAC, only while a source has several secrets (a rotation).
  return source.secrets.length > 1 &&
    verifySignature(signature.scheme, source.secrets.slice(0, 1), raw, signature.value) !== 'valid'
    ? 'older'
    : 'newest';
}

/** A payload field that becomes a ledger column and a search attribute: bounded, printable, or refused. */
function storableField(
  payload: Record<string, unknown>,
  path: string | undefined,
  pattern: RegExp,
  what: string,
): string | undefined {
  if (path === undefined) return undefined;
  const value = fieldAt(payload, path);
  if (value !== undefined && !pattern.test(value))
    throw new Refusal(400, `payload ${path} is not a valid ${what}`);
  return value;
}

/**
 * The installation the payload names. Absent only when its top-level field is missing or null; a
 * field that is there but holds no usable ID (an object, a boolean, an array, a number past 2^53,
 * an installation object without its id) is refused, never read as "no installation": that would
 * let a payload slip past the checks that apply to installations.
 */
function installationOf(payload: Record<string, unknown>, path: string): string | undefined {
  const [top] = path.split('.');
  const present = top !== undefined && ownValue(payload, top);
  if (present === undefined || present === null) return undefined;
  const value = fieldAt(payload, path);
  if (value === undefined || !INSTALLATION_ID.test(value)) {
    throw new Refusal(
      400,
      `payload ${path} is not a valid installation ID: it must be a whole number or an ID string`,
    );
  }
  return value;
}

function deliveryRef(
  provider: Provider,
  headers: DeliveryHeaders,
  payload: Record<string, unknown>,
): DeliveryRef {
  const event = headers.event ?? (provider.eventField ? fieldAt(payload, provider.eventField) : undefined);
  if (event === undefined || !EVENT_NAME.test(event)) {
    throw new Refusal(400, `payload has no valid event name in ${provider.eventField ?? 'the event header'}`);
  }
  const action = typeof payload.action === 'string' ? payload.action : null;
  if (action !== null && !SHORT_TEXT.test(action))
    throw new Refusal(400, 'payload action is not a valid action name');
  const installation = installationOf(payload, provider.installationField);
  const repository = storableField(payload, provider.repositoryField, SHORT_TEXT, 'repository name');
  // A subscription's posts are keyed by the subscription, whatever hook ID header they carry: its
  // secret chooses no hook, so it must not reach another hook's keys either.
  const hookId = headers.hub !== undefined ? `hub-${headers.hub}` : (headers.hookId ?? NO_HOOK_ID);
  return {
    key: deliveryKey(provider.name, hookId, headers.deliveryId),
    provider: provider.name,
    source: headers.source.key,
    hookId,
    deliveryId: headers.deliveryId,
    event,
    action,
    installation: installation ?? null,
    repository: repository ?? null,
  };
}
