// The body of a delivery: its content type, its raw bytes (which the signature covers, so they are
// kept exactly as sent), and, once the signature is checked, the JSON object they hold.
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { Refusal } from './refusal';

export interface DeliveryBody {
  /** `form` is application/x-www-form-urlencoded, with the JSON in its `payload` field. */
  contentType: 'json' | 'form';
  raw: Buffer;
}

/** Refuses other content types (415) before a byte of the body is read. */
function checkContentType(ctx: Context): DeliveryBody['contentType'] {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  throw new Refusal(
    415,
    `unsupported content type ${type ? `"${type}"` : '(none)'}: send application/json or application/x-www-form-urlencoded`,
  );
}

/** Reads at most `limit` bytes; a longer body is refused 413 without reading the rest. */
async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || null });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') throw new Refusal(413, `body larger than the ${limit}-byte limit`);
    if (e.type === 'request.size.invalid')
      throw new Refusal(400, 'body length does not match Content-Length');
    if (e.type === 'request.aborted') throw new Refusal(400, 'request aborted while reading the body');
    throw new Refusal(400, 'could not read the body');
  }
}

export async function readDeliveryBody(ctx: Context, limit: number): Promise<DeliveryBody> {
  const contentType = checkContentType(ctx);
  return { contentType, raw: await readRawBody(ctx, limit) };
}

/** The JSON object a (signed) body holds; anything else is refused 400. */
export function parsePayload(body: DeliveryBody): Record<string, unknown> {
  let text: string;
  if (body.contentType === 'form') {
    const payload = new URLSearchParams(body.raw.toString('utf8')).get('payload');
    if (payload === null) throw new Refusal(400, 'form-encoded body has no "payload" field');
    text = payload;
  } else {
    text = body.raw.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(400, 'body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Refusal(400, 'body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
