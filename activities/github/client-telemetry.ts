// What the client tells about its calls: a CLIENT span per call (semantic-convention attribute names
// where they exist, https://opentelemetry.io/docs/specs/semconv/http/http-spans/), the answer's
// attributes and rate-limit headers, the call metrics, and one log line per call, answered or not.
// Rate limits and busy turns are waits, not errors.
import { SpanKind, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/telemetry/metrics';
import { inSpan } from '../../lib/telemetry/tracing';
import { workContext } from '../../lib/telemetry/work-context';
import { ApiError } from './api-error';
import type { ApiRequest, ApiResponse } from './api-request';
import type { Verdict } from './classify';
import type { Attempt } from './installation-turn';

export type ClientMetrics = Pick<
  Metrics,
  'recordApiCall' | 'recordRateLimitWait' | 'recordTokenRefresh' | 'recordAuthFailure' | 'recordBudget'
>;

export interface ClientTelemetryDeps {
  /** The API's host name, as `server.address`. */
  host: string;
  logger: Logger;
  metrics: ClientMetrics | undefined;
  now: () => number;
}

/** Rate limits and busy turns are waits, not errors. */
const isWait = (err: unknown) =>
  err instanceof ApiError && (err.kind === 'rate-limited' || err.kind === 'busy');

export function createClientTelemetry(d: ClientTelemetryDeps) {
  const { logger, metrics, now } = d;

  /** The attributes every API span starts with. */
  const spanStart = (method: string, route: string, installation: string): SpanOptions => {
    const work = workContext.current();
    return {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.template': route,
        'server.address': d.host,
        'hookflow.installation.id': installation,
        ...(work ? { 'hookflow.attempt': work.attempt } : {}),
      },
    };
  };

  return {
    /** Runs a request in its span, named for its route template, never the raw URL with its IDs. */
    inRequestSpan<T>(req: ApiRequest, method: string, fn: (span: Span) => Promise<T>): Promise<T> {
      return inSpan(
        `${method} ${req.route}`,
        spanStart(method, req.route, req.installation),
        (span) => {
          span.setAttribute('hookflow.request_id', req.requestId);
          return fn(span);
        },
        isWait,
      );
    },

    /** Runs the App's token issuance for `installation` in its span, under the call that needed the token. */
    inTokenSpan<T>(route: string, installation: string, fn: (span: Span) => Promise<T>): Promise<T> {
      return inSpan(`POST ${route}`, spanStart('POST', route, installation), fn);
    },

    /**
     * Counts credentials the answer refused: a 401, or a 403 that is no rate limit. (A token
     * issuance's 404 means lost access too, but no credential was refused.)
     */
    authRefused(verdict: Verdict, status: number): void {
      if (verdict.kind !== 'unauthorized' && verdict.kind !== 'forbidden') return;
      if (status === 401) metrics?.recordAuthFailure('unauthorized');
      else if (status === 403) metrics?.recordAuthFailure('forbidden');
    },

    tokenRefreshed(result: 'ok' | 'failed'): void {
      metrics?.recordTokenRefresh(result);
    },

    /** The answer to the App's token issuance call: its status on the span and one log line. */
    tokenAnswer(
      span: Span,
      a: { installation: string; route: string; status: number; started: number },
    ): void {
      span.setAttribute('http.response.status_code', a.status);
      logger.info(
        {
          method: 'POST',
          route: a.route,
          status: a.status,
          ms: now() - a.started,
          installation: a.installation,
        },
        'api call',
      );
    },

    /** The answer's attributes and events on the call's span, and its budget metric. */
    observe(req: ApiRequest, a: Attempt, span: Span): void {
      span.setAttribute('http.response.status_code', a.sent.status);
      span.setAttribute('hookflow.cache_hit', a.fromCache);
      if (a.waitedMs > 0) span.addEvent('rate-limit pacing', { 'hookflow.wait_ms': a.waitedMs });
      const retryAfter = a.sent.headers.get('retry-after');
      if (retryAfter !== null) span.setAttribute('http.response.header.retry-after', retryAfter.slice(0, 64));
      if (a.rateLimit) {
        span.setAttributes({
          'github.rate_limit.limit': a.rateLimit.limit,
          'github.rate_limit.remaining': a.rateLimit.remaining,
          'github.rate_limit.reset': Math.round(a.rateLimit.resetAt / 1000),
          ...(a.rateLimit.resource ? { 'github.rate_limit.resource': a.rateLimit.resource } : {}),
        });
        metrics?.recordBudget({
          installation: req.installation,
          resource: a.rateLimit.resource ?? 'core',
          remaining: a.rateLimit.remaining,
          limit: a.rateLimit.limit,
        });
      }
    },

    /** The log line of an answered call (whatever its status), and a warning when the resource moved. */
    answered(req: ApiRequest, method: string, started: number, a: Attempt): void {
      logger.info(
        {
          requestId: req.requestId,
          installation: req.installation,
          method,
          route: req.route,
          status: a.sent.status,
          ms: now() - started,
          fromCache: a.fromCache,
          rateLimit: a.rateLimit && {
            limit: a.rateLimit.limit,
            remaining: a.rateLimit.remaining,
            used: a.rateLimit.used,
            reset: Math.round(a.rateLimit.resetAt / 1000),
            resource: a.rateLimit.resource,
          },
        },
        'api call',
      );
      if (a.sent.movedTo)
        logger.warn({ route: req.route, from: req.url, to: a.sent.movedTo }, 'resource moved permanently');
    },

    /** The metrics of a call that succeeded. */
    succeeded(req: ApiRequest, method: string, started: number, res: ApiResponse<unknown>): void {
      metrics?.recordApiCall({
        route: req.route,
        method,
        status: res.status,
        seconds: (now() - started) / 1000,
      });
      if (res.waitedMs > 0) metrics?.recordRateLimitWait('pacing');
    },

    /** A failed call's attributes, metrics, and (when no answer was logged) its log line. */
    failed(req: ApiRequest, method: string, started: number, span: Span, err: unknown): void {
      if (!(err instanceof ApiError)) return;
      const { status, waitMs, limit } = err.details;
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (waitMs !== undefined) span.setAttribute('hookflow.wait_ms', waitMs);
      if (limit !== undefined) span.setAttribute('hookflow.rate_limit.kind', limit);
      if (err.kind === 'rate-limited' || err.kind === 'busy') {
        metrics?.recordRateLimitWait(err.kind === 'busy' ? 'busy' : (limit ?? 'unknown'));
      }
      // Waits that kept the call from being sent are no call; every other failure is one.
      if (err.kind !== 'busy' && !(err.kind === 'rate-limited' && status === undefined)) {
        metrics?.recordApiCall({ route: req.route, method, status, seconds: (now() - started) / 1000 });
      }
      // Calls that got no answer to log (network errors, waits, busy turns) are logged here.
      if (status === undefined) {
        logger.warn(
          {
            requestId: req.requestId,
            installation: req.installation,
            method,
            route: req.route,
            ms: now() - started,
            error: err.kind,
            err,
            waitMs,
          },
          'api call not made or not answered',
        );
      }
    },
  };
}

export type ClientTelemetry = ReturnType<typeof createClientTelemetry>;
