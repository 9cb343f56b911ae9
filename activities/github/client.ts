// The one way hookflow calls GitHub (A1): `request()` alone touches the network. It adds the
// credentials and the request ID, takes the installation's turn (serial across every worker, A5),
// waits as the shared budget and the spacing rules say, follows redirects (A7), serves 304s from the
// conditional-request cache (A9), records the rate-limit headers (A4), logs the call, and turns every
// failure into a typed ApiError. It knows nothing of Temporal: activities translate its errors.
import { createHash } from 'node:crypto';
import { SpanKind, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Sealer } from '../../lib/crypto';
import { inSpan } from '../../lib/telemetry/tracing';
import { workContext } from '../../lib/telemetry/work-context';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/telemetry/metrics';
import { readBudget, readCache, writeBudget, writeCache } from '../../lib/storage/api-state';
import type { Queryable } from '../../lib/storage/db';
import { LockTimeoutError, type WithLock } from '../../lib/storage/locks';
import { ApiError } from './api-error';
import { appJwt } from './app-jwt';
import { classify, type Verdict } from './classify';
import { nextPageUrl } from './link';
import {
  afterResponse,
  budgetKnown,
  MUTATING_METHODS,
  readRateLimit,
  waitBeforeRequest,
  type Budget,
  type PacingPolicy,
  type RateLimit,
} from './rate-limit';
import { MAX_REDIRECTS, nextHop } from './redirect';
import { createTokenStore } from './tokens';

export type Auth = { kind: 'app'; appId: number; privateKey: string } | { kind: 'token'; token: string };

export interface ClientPolicy extends PacingPolicy {
  timeoutMs: number;
  inlineWaitMs: number;
  secondaryWaitMs: number;
  tokenRefreshMarginMs: number;
}

export interface ClientDeps {
  baseUrl: string;
  auth: Auth;
  db: Queryable;
  withLock: WithLock;
  sealer: Sealer;
  policy: ClientPolicy;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Where calls, rate-limit waits and token refreshes are counted (O2). */
  metrics?:
    | Pick<
        Metrics,
        'recordApiCall' | 'recordRateLimitWait' | 'recordTokenRefresh' | 'recordAuthFailure' | 'recordBudget'
      >
    | undefined;
}

export interface ApiRequest {
  method?: string;
  /** A path under the API base, or an absolute URL exactly as the API handed it out (A8). */
  url: string;
  /** The route template, for logs and errors: never the raw URL with its IDs. */
  route: string;
  /** The installation whose token, budget and turn the call uses (ignored for the budget in token mode). */
  installation: string;
  /** The delivery or job the call is made for, sent as X-Hookflow-Request-Id. */
  requestId: string;
  body?: unknown;
  /** Use the ETag / Last-Modified cache (GET only). */
  conditional?: boolean;
  /** Creates content that notifies people (issues, comments): paced further (A5). */
  createsContent?: boolean;
  signal?: AbortSignal;
}

export interface ApiResponse<T = unknown> {
  status: number;
  data: T;
  /** The URL that answered, after any redirects. */
  url: string;
  next: string | undefined;
  fromCache: boolean;
  /** Where a permanent redirect said the resource now lives. */
  movedTo: string | undefined;
  rateLimit: RateLimit | undefined;
  /** Time this call waited for its turn's pacing before it was sent. */
  waitedMs: number;
}

export const PROVIDER = 'github';
export const REQUEST_ID_HEADER = 'x-hookflow-request-id';

interface Sent {
  status: number;
  headers: Headers;
  text: string;
  url: string;
  movedTo: string | undefined;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function messageOf(data: unknown): string | undefined {
  const m = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m.slice(0, 300) : undefined;
}

export function createGitHubClient(deps: ClientDeps) {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const base = new URL(deps.baseUrl.endsWith('/') ? deps.baseUrl : `${deps.baseUrl}/`);
  const { policy, logger } = deps;
  const lockWaitMs = policy.timeoutMs + policy.inlineWaitMs + 1_000;
  const tokenModeKey = (token: string) =>
    `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
  const budgetKey = (installation: string) =>
    deps.auth.kind === 'token' ? tokenModeKey(deps.auth.token) : installation;

  const resolve = (url: string) => new URL(/^https?:\/\//i.test(url) ? url : url.replace(/^\//, ''), base);

  /** The only network call: one request with its redirects, credentials kept to their host. */
  async function send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    where: { route: string; installation: string },
  ): Promise<Sent> {
    // Credentials go only to the API's own origin: a URL from a payload or a Link header that points
    // elsewhere gets the request without them, as a cross-host redirect does.
    const own = url.host === base.host && url.protocol === base.protocol;
    let hop = { url, method, keepBody: true, sendCredentials: own };
    let movedTo: string | undefined;
    // One timeout for the whole chain of hops, so a request's time in the installation's turn is bounded.
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    for (let hops = 0; ; hops++) {
      const h = { ...headers };
      if (!hop.sendCredentials) delete h.authorization;
      const res = await fetch(hop.url, {
        method: hop.method,
        headers: h,
        ...(hop.keepBody && body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const next = nextHop(hop, res.status, res.headers.get('location'));
      if (!next)
        return {
          status: res.status,
          headers: res.headers,
          text: await res.text(),
          url: hop.url.href,
          movedTo,
        };
      await res.body?.cancel();
      if (hops + 1 > MAX_REDIRECTS) {
        throw new ApiError('client', {
          method,
          ...where,
          status: res.status,
          providerMessage: `more than ${MAX_REDIRECTS} redirects`,
        });
      }
      if (res.status === 301 || res.status === 308) movedTo = next.url.href;
      hop = next;
    }
  }

  function baseHeaders(authorization: string, requestId: string): Record<string, string> {
    return {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'hookflow',
      authorization,
      [REQUEST_ID_HEADER]: requestId,
    };
  }

  const TOKEN_ROUTE = '/app/installations/{installation_id}/access_tokens';
  /** App-scoped calls (token issuance): the App's own JWT, outside any installation's budget. */
  function issueToken(installation: string) {
    return inSpan(`POST ${TOKEN_ROUTE}`, spanStart('POST', TOKEN_ROUTE, installation), (span) =>
      issueTokenInSpan(installation, span),
    );
  }

  async function issueTokenInSpan(installation: string, span: Span) {
    const auth = deps.auth;
    if (auth.kind !== 'app') throw new Error('installation tokens need App mode');
    const route = TOKEN_ROUTE;
    const jwt = () => {
      try {
        return appJwt(auth.appId, auth.privateKey, now());
      } catch (err) {
        // A key that cannot sign will not sign on a retry either.
        throw new ApiError('client', {
          method: 'POST',
          route,
          status: undefined,
          installation,
          providerMessage: `cannot sign the App JWT with PRIVATE_KEY (${(err as Error).message})`,
        });
      }
    };
    const started = now();
    const authorization = `Bearer ${jwt()}`;
    let sent: Sent;
    try {
      sent = await send(
        'POST',
        resolve(`app/installations/${encodeURIComponent(installation)}/access_tokens`),
        baseHeaders(authorization, `token:${installation}`),
        undefined,
        undefined,
        { route, installation },
      );
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('network', {
        method: 'POST',
        route,
        status: undefined,
        installation,
        providerMessage: (err as Error).message,
      });
    }
    span.setAttribute('http.response.status_code', sent.status);
    const data = parseJson(sent.text) as { token?: unknown; expires_at?: unknown };
    logger.info(
      { method: 'POST', route, status: sent.status, ms: now() - started, installation },
      'api call',
    );
    if (sent.status !== 201 && sent.status !== 200) {
      const verdict = classify(
        { status: sent.status, headers: sent.headers, message: messageOf(data) },
        now(),
        {
          waitMs: policy.secondaryWaitMs,
          strikes: 0,
        },
      );
      const kind =
        verdict.kind === 'unauthorized' || verdict.kind === 'not-found' ? 'forbidden' : verdict.kind;
      if (verdict.kind === 'unauthorized' || verdict.kind === 'forbidden')
        deps.metrics?.recordAuthFailure(verdict.kind);
      throw new ApiError(kind === 'ok' || kind === 'not-modified' ? 'client' : kind, {
        method: 'POST',
        route,
        status: sent.status,
        installation,
        providerMessage: messageOf(data),
        waitMs: verdict.kind === 'rate-limited' ? verdict.waitMs : undefined,
      });
    }
    const expiresAt = typeof data.expires_at === 'string' ? Date.parse(data.expires_at) : NaN;
    if (typeof data.token !== 'string' || data.token.length === 0 || Number.isNaN(expiresAt)) {
      throw new ApiError('client', {
        method: 'POST',
        route,
        status: sent.status,
        installation,
        providerMessage: 'no token in the answer',
      });
    }
    return { token: data.token, expiresAt };
  }

  const tokens = createTokenStore({
    provider: PROVIDER,
    db: deps.db,
    withLock: deps.withLock,
    sealer: deps.sealer,
    refreshMarginMs: policy.tokenRefreshMarginMs,
    now,
    issue: issueToken,
    onRefresh: (result) => deps.metrics?.recordTokenRefresh(result),
  });

  async function credential(installation: string, rejected?: string): Promise<string> {
    return deps.auth.kind === 'token' ? deps.auth.token : tokens.get(installation, rejected);
  }

  /** Reads `/rate_limit` (free against the primary limit) when the budget is unknown (A4). */
  async function probeBudget(
    budget: Budget,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Budget> {
    let sent: Sent;
    try {
      sent = await send('GET', resolve('rate_limit'), headers, undefined, signal, {
        route: '/rate_limit',
        installation: '-',
      });
    } catch {
      return budget; // best effort: the request's own answer will tell
    }
    const core = (
      parseJson(sent.text) as {
        resources?: { core?: { limit?: number; remaining?: number; reset?: number } };
      }
    )?.resources?.core;
    if (
      sent.status !== 200 ||
      typeof core?.limit !== 'number' ||
      typeof core.remaining !== 'number' ||
      typeof core.reset !== 'number'
    ) {
      return budget;
    }
    return {
      ...budget,
      limit: core.limit,
      remaining: core.remaining,
      resetAt: core.reset * 1000,
      resource: 'core',
    };
  }

  interface Attempt {
    sent: Sent;
    verdict: Verdict;
    data: unknown;
    fromCache: boolean;
    rateLimit: RateLimit | undefined;
    waitedMs: number;
  }

  async function attempt(req: ApiRequest, method: string, token: string): Promise<Attempt> {
    const result = await turn(req, method, token);
    if ('error' in result) throw result.error;
    return result;
  }

  /**
   * One request in the installation's turn. Failures are returned, not thrown: the turn has written
   * the budget by then, and the lock is released before the error goes on.
   */
  async function turn(req: ApiRequest, method: string, token: string): Promise<Attempt | { error: unknown }> {
    const key = budgetKey(req.installation);
    const mutating = MUTATING_METHODS.has(method);
    const createsContent = req.createsContent === true;
    const conditional = req.conditional === true && method === 'GET';
    const url = resolve(req.url);
    const headers = baseHeaders(`${deps.auth.kind === 'token' ? 'token' : 'Bearer'} ${token}`, req.requestId);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const fail = (kind: ApiError['kind'], extra: Partial<ApiError['details']> = {}) =>
      new ApiError(kind, {
        method,
        route: req.route,
        status: undefined,
        installation: req.installation,
        ...extra,
      });

    return deps.withLock(`turn:${PROVIDER}:${key}`, lockWaitMs, async (q) => {
      let budget = await readBudget(q, PROVIDER, key);
      if (!budgetKnown(budget, now())) budget = await probeBudget(budget, headers, req.signal);
      const wait = waitBeforeRequest(budget, { mutating, createsContent }, now(), policy);
      if (wait.ms > policy.inlineWaitMs) {
        await writeBudget(q, PROVIDER, key, budget);
        return { error: fail('rate-limited', { waitMs: wait.ms, limit: wait.reason }) };
      }
      if (wait.ms > 0) await sleep(wait.ms, req.signal);

      const cached = conditional ? await readCache(q, PROVIDER, key, url.href) : undefined;
      if (cached?.etag) headers['if-none-match'] = cached.etag;
      else if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;

      let sent: Sent;
      try {
        sent = await send(method, url, headers, body, req.signal, {
          route: req.route,
          installation: req.installation,
        });
      } catch (err) {
        // A mutation may have landed even though its answer was lost: it keeps its spacing.
        await writeBudget(
          q,
          PROVIDER,
          key,
          afterResponse(budget, {
            at: now(),
            rateLimit: undefined,
            mutating,
            createsContent,
            counted: true,
          }),
        );
        if (err instanceof ApiError || req.signal?.aborted) return { error: err };
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        return {
          error: fail('network', {
            providerMessage: cause?.code ?? cause?.message ?? (err as Error).message,
          }),
        };
      }
      const at = now();
      const rateLimit = readRateLimit(sent.headers);
      let data = parseJson(sent.text);
      const verdict = classify({ status: sent.status, headers: sent.headers, message: messageOf(data) }, at, {
        waitMs: policy.secondaryWaitMs,
        strikes: budget.secondaryStrikes,
      });
      let next = afterResponse(budget, {
        at,
        rateLimit,
        mutating,
        createsContent,
        counted: sent.status !== 304,
      });
      if (verdict.kind === 'rate-limited') {
        next.blockedUntil = at + verdict.waitMs;
        if (verdict.limit === 'secondary') next.secondaryStrikes += 1;
      } else if (verdict.kind === 'ok' || verdict.kind === 'not-modified') {
        next = { ...next, secondaryStrikes: 0 };
      }
      await writeBudget(q, PROVIDER, key, next);

      let fromCache = false;
      if (verdict.kind === 'not-modified' && cached) {
        data = parseJson(cached.body);
        fromCache = true;
        sent = {
          ...sent,
          headers: new Headers({
            ...Object.fromEntries(sent.headers),
            ...(cached.link ? { link: cached.link } : {}),
          }),
        };
      } else if (verdict.kind === 'ok' && conditional) {
        const etag = sent.headers.get('etag');
        const lastModified = sent.headers.get('last-modified');
        if (etag || lastModified) {
          await writeCache(q, PROVIDER, key, url.href, {
            etag,
            lastModified,
            link: sent.headers.get('link'),
            body: sent.text,
          });
        }
      }
      return { sent, verdict, data, fromCache, rateLimit, waitedMs: Math.max(0, wait.ms) };
    });
  }

  /** The attributes every API span starts with (semantic-convention names where they exist). */
  const spanStart = (method: string, route: string, installation: string): SpanOptions => {
    const work = workContext.current();
    return {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.template': route,
        'server.address': base.hostname,
        'hookflow.installation.id': installation,
        ...(work ? { 'hookflow.attempt': work.attempt } : {}),
      },
    };
  };
  /** Rate limits and busy turns are waits, not errors. */
  const isWait = (err: unknown) =>
    err instanceof ApiError && (err.kind === 'rate-limited' || err.kind === 'busy');

  return {
    request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
      const method = (req.method ?? 'GET').toUpperCase();
      return inSpan(
        `${method} ${req.route}`,
        spanStart(method, req.route, req.installation),
        (span) => requestInSpan<T>(req, method, span),
        isWait,
      );
    },

    tokens,
  };

  async function requestInSpan<T>(req: ApiRequest, method: string, span: Span): Promise<ApiResponse<T>> {
    const started = now();
    span.setAttribute('hookflow.request_id', req.requestId);
    try {
      const res = await call<T>(req, method, started, span);
      deps.metrics?.recordApiCall({
        route: req.route,
        method,
        status: res.status,
        seconds: (now() - started) / 1000,
      });
      if (res.waitedMs > 0) deps.metrics?.recordRateLimitWait('pacing');
      return res;
    } catch (caught) {
      // A lock not free in time (the installation's turn, or its token refresh by another worker)
      // means: wait a moment, then call again.
      const err =
        caught instanceof LockTimeoutError
          ? new ApiError('busy', {
              method,
              route: req.route,
              status: undefined,
              installation: req.installation,
              waitMs: 1_000,
            })
          : caught;
      if (err instanceof ApiError) {
        if (err.details.status !== undefined)
          span.setAttribute('http.response.status_code', err.details.status);
        if (err.details.waitMs !== undefined) span.setAttribute('hookflow.wait_ms', err.details.waitMs);
        if (err.details.limit !== undefined) span.setAttribute('hookflow.rate_limit.kind', err.details.limit);
        if (err.kind === 'rate-limited' || err.kind === 'busy') {
          deps.metrics?.recordRateLimitWait(err.kind === 'busy' ? 'busy' : (err.details.limit ?? 'unknown'));
        }
        if (err.kind !== 'busy' && !(err.kind === 'rate-limited' && err.details.status === undefined)) {
          deps.metrics?.recordApiCall({
            route: req.route,
            method,
            status: err.details.status,
            seconds: (now() - started) / 1000,
          });
        }
      }
      // Calls that got no answer to log below (network errors, waits, busy turns) are logged here.
      if (err instanceof ApiError && err.details.status === undefined) {
        logger.warn(
          {
            requestId: req.requestId,
            installation: req.installation,
            method,
            route: req.route,
            ms: now() - started,
            error: err.kind,
            waitMs: err.details.waitMs,
          },
          'api call not made or not answered',
        );
      }
      throw err;
    }
  }

  /** The answer's attributes and events on the call's span, and its budget metric. */
  function observe(req: ApiRequest, a: Attempt, span: Span): void {
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
      deps.metrics?.recordBudget({
        installation: req.installation,
        resource: a.rateLimit.resource ?? 'core',
        remaining: a.rateLimit.remaining,
        limit: a.rateLimit.limit,
      });
    }
  }

  async function call<T>(
    req: ApiRequest,
    method: string,
    started: number,
    span: Span,
  ): Promise<ApiResponse<T>> {
    let token = await credential(req.installation);
    let a = await attempt(req, method, token);
    observe(req, a, span);
    if (a.verdict.kind === 'unauthorized' && deps.auth.kind === 'app') {
      // One refresh and one retry (A2); a second 401 means the installation lost access.
      logger.warn({ installation: req.installation, route: req.route }, 'token refused: refreshing once');
      token = await credential(req.installation, token);
      a = await attempt(req, method, token);
      span.setAttribute('http.request.resend_count', 1);
      observe(req, a, span);
    }
    const { sent, verdict } = a;
    // Refused after the one refresh (or in token mode): the credentials do not work.
    if (verdict.kind === 'unauthorized' || verdict.kind === 'forbidden')
      deps.metrics?.recordAuthFailure(verdict.kind);
    logger.info(
      {
        requestId: req.requestId,
        installation: req.installation,
        method,
        route: req.route,
        status: sent.status,
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
    if (sent.movedTo)
      logger.warn({ route: req.route, from: req.url, to: sent.movedTo }, 'resource moved permanently');
    if (verdict.kind !== 'ok' && verdict.kind !== 'not-modified') {
      throw new ApiError(verdict.kind, {
        method,
        route: req.route,
        status: sent.status,
        installation: req.installation,
        providerMessage: messageOf(a.data),
        waitMs: verdict.kind === 'rate-limited' ? verdict.waitMs : undefined,
        limit: verdict.kind === 'rate-limited' ? verdict.limit : undefined,
      });
    }
    return {
      status: sent.status,
      data: a.data as T,
      url: sent.url,
      next: nextPageUrl(sent.headers.get('link')),
      fromCache: a.fromCache,
      movedTo: sent.movedTo,
      rateLimit: a.rateLimit,
      waitedMs: a.waitedMs,
    };
  }
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;
