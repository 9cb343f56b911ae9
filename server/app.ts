// The Koa app, built without listen() so tests drive it through a real HTTP server of their own.
import http from 'node:http';
import https from 'node:https';
import { trace } from '@opentelemetry/api';
import Koa from 'koa';
import type { Store } from '../lib/storage';
import type { Metrics } from '../lib/telemetry/metrics';
import { frontDoor, type FrontDoorDeps, type FrontDoorStore } from './front-door';
import type { AddressCheck } from './ip-allowlist';
import type { Provider } from './providers';
import { readinessCheck } from './readiness';
import { traceRequests } from './trace-requests';

export interface AppDeps extends FrontDoorDeps {
  /** The front door's ledger calls, and `ping` for /readyz. */
  store: FrontDoorStore & Pick<Store, 'ping'>;
  providers: Provider[];
  metrics?: Metrics | undefined;
  /** One span per request, so a delivery can be followed from its request to its workflow; off when tracing is off. */
  traced?: boolean;
  /** The source-address allow-list, when one is configured: checked before anything of a delivery is read. */
  addressCheck?: AddressCheck | undefined;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  // Errors Koa sees outside the handlers: mostly clients that hung up or stalled (408).
  app.on('error', (err: Error & { code?: string; status?: number }) => {
    const clientSide =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ECONNRESET' || (err.status ?? 500) < 500;
    deps.logger[clientSide ? 'debug' : 'warn']({ err, code: err.code }, 'HTTP connection error');
  });
  const readiness = readinessCheck(deps);
  const doors = new Map(deps.providers.map((p) => [p.path, frontDoor(p, deps)]));
  // The allow-list holds GitHub's addresses: other providers' doors are not checked against it.
  const addressChecked = new Set(deps.providers.filter((p) => p.name === 'github').map((p) => p.path));
  if (deps.traced) app.use(traceRequests(new Set(doors.keys())));

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      // Only bugs reach here: every expected failure is answered where it happens.
      deps.logger.error({ err, path: ctx.path }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: 'internal error in hookflow' };
    }
  });

  app.use(async (ctx) => {
    const door = doors.get(ctx.path);
    if (door) {
      const refused = addressChecked.has(ctx.path)
        ? deps.addressCheck?.refusal(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for') || undefined)
        : undefined;
      if (refused) {
        ctx.status = refused.status;
        // Closed after the answer, so Node does not read (drain) the body that was refused unread.
        ctx.set('Connection', 'close');
        if (refused.status === 503) ctx.set('Retry-After', '60');
        ctx.body = { error: refused.message };
        deps.metrics?.recordAddressRefusal(refused.reason);
        trace.getActiveSpan()?.setAttributes({
          'hookflow.delivery.outcome': 'rejected',
          'hookflow.delivery.refusal': refused.message,
        });
        deps.logger.debug({ status: refused.status, reason: refused.message }, 'delivery refused by address');
        return;
      }
      if (ctx.method !== 'POST') {
        ctx.status = 405;
        ctx.set('Allow', 'POST');
        ctx.body = { error: 'webhook deliveries are POST requests' };
        return;
      }
      const started = process.hrtime.bigint();
      await door(ctx);
      const answer = ctx.body as { status?: string; error?: string } | undefined;
      trace
        .getActiveSpan()
        ?.setAttributes(
          answer?.status
            ? { 'hookflow.delivery.outcome': answer.status }
            : { 'hookflow.delivery.outcome': 'rejected', 'hookflow.delivery.refusal': answer?.error ?? '' },
        );
      const { oldSecretSource } = ctx.state as { oldSecretSource?: string };
      if (oldSecretSource) deps.metrics?.recordOldSecretDelivery(oldSecretSource);
      deps.metrics?.recordDelivery({
        status: ctx.status,
        outcome: answer?.status,
        event: ctx.get('x-github-event') || undefined,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/readyz') {
      const { ready, ...parts } = await readiness();
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not ready', ...parts };
      return;
    }
    ctx.status = 404;
    ctx.body = { error: `nothing here: webhooks go to ${[...doors.keys()].join(' or ')}` };
  });
  return app;
}

/**
 * The HTTP(S) server around the app. `requestTimeout` cuts off slow or stalled uploads, which would
 * otherwise hold a connection open for as long as the sender likes: a request whose body has not fully arrived in time is answered 408 and closed. With a certificate
 * and key it serves HTTPS itself; without, it expects a TLS-terminating proxy in front.
 */
export function createHttpServer(
  app: Koa,
  bodyTimeoutMs: number,
  tls: { cert: Buffer; key: Buffer } | undefined,
): http.Server {
  const options = {
    requestTimeout: bodyTimeoutMs,
    headersTimeout: Math.min(bodyTimeoutMs, 60_000),
    connectionsCheckingInterval: Math.min(1_000, bodyTimeoutMs),
  };
  // Koa's handler returns a promise and handles its own errors; Node wants a void listener.
  const callback = app.callback();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void callback(req, res);
  const server = tls
    ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, handler)
    : http.createServer(options, handler);
  server.keepAliveTimeout = 5_000;
  return server;
}
