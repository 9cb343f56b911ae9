// One SERVER span per HTTP request, so a delivery can be followed from its request to its workflow:
// it continues the sender's W3C `traceparent` when it sent one, is named by its route template and
// carries the HTTP semantic-convention attributes. Health checks and scrapes are not traced.
// Hand-written rather than instrumentation-http: that one must patch `http` before it is first
// loaded, while hookflow's server is built inside other processes too.
// https://www.w3.org/TR/trace-context/
// https://opentelemetry.io/docs/specs/semconv/http/http-spans/
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { tracer } from '../lib/telemetry/tracing';

const UNTRACED = new Set(['/metrics', '/healthz', '/readyz']);

export function traceRequests(routes: Set<string>): Middleware {
  return async (ctx, next) => {
    if (UNTRACED.has(ctx.path)) {
      await next();
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, ctx.headers);
    const route = routes.has(ctx.path) ? ctx.path : undefined;
    const span = tracer().startSpan(
      route ? `${ctx.method} ${route}` : ctx.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': ctx.method,
          'url.scheme': ctx.protocol,
          'url.path': route ?? '(other)',
          'server.address': ctx.hostname.slice(0, 256),
          'user_agent.original': ctx.get('user-agent').slice(0, 256),
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.setAttribute('http.response.status_code', ctx.status);
      // A server span is an error only when the server failed (5xx); a refused delivery is not.
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
