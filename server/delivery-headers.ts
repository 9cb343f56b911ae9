// The headers a delivery must carry — its ID, its event (unless the provider names it in the payload)
// and a signature — read once and checked for shape. A request missing some is refused with all of
// them named, so the sender fixes them in one go.
import type { Context } from 'koa';
import type { SignatureScheme } from './signature';
import type { Provider, Source } from './providers';
import { Refusal } from './refusal';

/** The signature header that was sent, and the scheme it is checked with. */
interface SignatureHeader {
  header: string;
  scheme: SignatureScheme;
  value: string;
}

export interface DeliveryHeaders {
  deliveryId: string;
  /** Undefined for a provider that names the event in the payload instead. */
  event: string | undefined;
  hookId: string | undefined;
  /** The PubSubHubbub subscription the callback URL names, if any. */
  hub: string | undefined;
  /** The secrets that speak for this hook. */
  source: Source;
  signature: SignatureHeader;
}

const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const HOOK_ID = /^\d{1,20}$/;
const SUBSCRIPTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `x-github-hook-id` as people write it: `X-GitHub-Hook-Id`. */
export function display(headerName: string): string {
  return headerName
    .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
    .replace('Github', 'GitHub');
}

/** A header that was sent non-empty, with its name; undefined when it was not (or has no name). */
function present(ctx: Context, name: string | undefined): { name: string; value: string } | undefined {
  if (name === undefined) return undefined;
  const value: unknown = ctx.get(name);
  return typeof value === 'string' && value !== '' ? { name, value } : undefined;
}

/** The first of the source's signature headers that was sent. */
function signatureOf(ctx: Context, source: Source): SignatureHeader | undefined {
  for (const { header, scheme } of source.schemes) {
    const sent = present(ctx, header);
    if (sent) return { header, scheme, value: sent.value };
  }
  return undefined;
}

export async function readDeliveryHeaders(ctx: Context, provider: Provider): Promise<DeliveryHeaders> {
  const hookId = present(ctx, provider.headers.hookId);
  if (hookId && !HOOK_ID.test(hookId.value)) {
    throw new Refusal(400, `${display(hookId.name)} is not a numeric hook ID`);
  }
  const hub = subscriptionOf(ctx, provider);
  // The subscription or hook ID chooses the secrets, and with them the signature headers to look for.
  const source = await provider.sourceFor({ hookId: hookId?.value, hub });
  if (hub !== undefined && source.place === undefined)
    throw new Refusal(
      401,
      `hookflow has no PubSubHubbub subscription ${hub} (unsubscribed?), so it accepts nothing sent to it`,
    );
  const deliveryId = present(ctx, provider.headers.delivery);
  const eventHeader = provider.headers.event;
  const event = present(ctx, eventHeader);
  const signature = signatureOf(ctx, source);
  const eventMissing = eventHeader !== undefined && event === undefined;
  if (deliveryId === undefined || signature === undefined || eventMissing) {
    const missing = [
      ...(deliveryId === undefined ? [provider.headers.delivery] : []),
      ...(eventHeader !== undefined && event === undefined ? [eventHeader] : []),
      ...(signature === undefined ? [source.schemes.map((s) => s.header).join(' or ')] : []),
    ];
    throw new Refusal(400, `missing headers: ${missing.map(display).join(', ')}`);
  }
  if (!DELIVERY_ID.test(deliveryId.value)) {
    throw new Refusal(400, `${display(deliveryId.name)} is not a valid delivery ID`);
  }
  if (event && !EVENT_NAME.test(event.value)) {
    throw new Refusal(400, `${display(event.name)} is not a valid event name`);
  }
  return {
    deliveryId: deliveryId.value,
    event: event?.value,
    hookId: hookId?.value,
    hub,
    source,
    signature,
  };
}

/** The subscription a PubSubHubbub callback URL names (`?hub=<id>`), checked for shape. */
function subscriptionOf(ctx: Context, provider: Provider): string | undefined {
  if (provider.subscriptionParam === undefined) return undefined;
  const value: unknown = ctx.query[provider.subscriptionParam];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SUBSCRIPTION_ID.test(value))
    throw new Refusal(
      400,
      `the ${provider.subscriptionParam} parameter of the URL is not a subscription ID hookflow gave out`,
    );
  return value;
}
