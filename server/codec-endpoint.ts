// The codec endpoint: Temporal's codec-server protocol, so the Temporal UI and the `temporal` CLI
// show the payloads hookflow encrypted, to those who hold the token, and ciphertext to everyone else.
// https://docs.temporal.io/production-deployment/data-encryption
//   POST /encode and POST /decode take {"payloads": [{"metadata": {k: base64}, "data": base64}]}
//   (Temporal's Payloads message as protobuf JSON) and answer the same shape.
// It is served on the admin listener, never the webhook port. The token comes as
// `Authorization: Bearer <token>` (the CLI's --codec-auth), or as the path's first segment,
// `/<token>/decode`: the browser UI sends no header of its own, only the endpoint URL it was given.
// Browsers may call it from the configured Temporal UI origins only; a request from any other
// origin is refused before its body is read.
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import cors from '@koa/cors';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from '../lib/logger';
import { createHttpServer } from './app';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  token: string;
  /** Browser origins granted CORS (the Temporal UI's). */
  origins: readonly string[];
  /** The namespace hookflow's payloads live in: a request naming another is refused. */
  namespace: string;
  logger: Logger;
  bodyLimitBytes?: number;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() }))
    .max(100_000),
});

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function codecEndpoint(o: CodecEndpointOptions): Koa {
  const expected = digest(o.token);
  const allowed = new Set(o.origins);
  const tokenMatches = (given: string | undefined) =>
    given !== undefined && timingSafeEqual(digest(given), expected);
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      ctx.status = err.status;
      if (err.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="hookflow codec"');
      ctx.body = { error: err.message };
    }
  });
  // Another origin gets no grant, and its request is not served (a browser would send it anyway).
  app.use(async (ctx, next) => {
    const origin = ctx.get('origin');
    if (origin && !allowed.has(origin))
      throw new Refused(
        403,
        `origin ${origin} may not call the codec endpoint: add it to HOOKFLOW_CODEC_ORIGINS if it is your Temporal UI`,
      );
    await next();
  });
  app.use(
    cors({
      // Granted to the configured origins only (the middleware above refused the others already).
      origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
      allowMethods: ['POST'],
      allowHeaders: ['content-type', 'x-namespace', 'authorization'],
      credentials: true,
      privateNetworkAccess: true,
      maxAge: 600,
    }),
  );
  app.use(async (ctx) => {
    const route = /^\/(?:([^/]+)\/)?(encode|decode)$/.exec(ctx.path);
    if (!route) throw new Refused(404, 'the codec endpoint serves POST /encode and POST /decode');
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST');
      throw new Refused(405, `${ctx.path} takes POST`);
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (!tokenMatches(route[1] ?? bearer))
      throw new Refused(
        401,
        'the codec endpoint needs its token: Authorization: Bearer <HOOKFLOW_CODEC_TOKEN>, or the endpoint URL <origin>/<token>',
      );
    const namespace = ctx.get('x-namespace');
    if (namespace && namespace !== o.namespace)
      throw new Refused(
        400,
        `X-Namespace ${namespace}: this endpoint decodes hookflow's namespace ${o.namespace} only`,
      );
    // Temporal's own messages are at most 4 MiB by default; the UI decodes an event's payloads at once.
    const payloads = fromJson(await readJson(ctx, o.bodyLimitBytes ?? 8 * 1024 * 1024));
    let out: Payload[];
    try {
      out = route[2] === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
    } catch (err) {
      o.logger.warn(
        { err, route: route[2], payloads: payloads.length },
        'codec endpoint: cannot code payloads',
      );
      throw new Refused(422, `cannot ${route[2]} the payloads: ${(err as Error).message}`);
    }
    ctx.body = { payloads: out.map(payloadToJson) };
  });
  return app;
}

async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  let raw: string;
  try {
    raw = await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || null, encoding: 'utf8' });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large')
      throw new Refused(413, `body larger than the ${limit}-byte limit`);
    throw new Refused(400, 'could not read the body');
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new Refused(400, 'the body is not JSON: send {"payloads": [{"metadata": {…}, "data": "…"}]}');
  }
}

function fromJson(body: unknown): Payload[] {
  const parsed = payloadsBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Refused(
      400,
      `the body is not Temporal's Payloads as JSON: ${issue.path.join('.') || '(body)'} ${issue.message}`,
    );
  }
  return parsed.data.payloads.map(payloadFromJson);
}

/** A payload in the protocol's JSON form: metadata values and data in base64. */
export interface JsonPayload {
  metadata?: Record<string, string> | null | undefined;
  data?: string | null | undefined;
}

export function payloadFromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

export function payloadToJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** The endpoint on a listener of its own; the start stops if the port is taken. */
export async function serveCodecEndpoint(
  o: CodecEndpointOptions,
  port: number,
  host: string,
): Promise<http.Server> {
  const server = createHttpServer(codecEndpoint(o), 60_000, undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
