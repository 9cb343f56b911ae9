// The one way hookflow calls GitHub: `request()` adds the credentials and the request ID, takes the
// installation's turn (installation-turn.ts: serial across every worker, paced, cached), refreshes a
// refused installation token once, and turns every failure into a typed ApiError. Only the transport
// (transport.ts) touches the network. It knows nothing of Temporal: activities translate its errors.
import type { Span } from '@opentelemetry/api';
import type { Sealer } from '../../lib/crypto';
import type { Logger } from '../../lib/logger';
import type { Queryable } from '../../lib/storage/db';
import { LockTimeoutError, type WithLock } from '../../lib/storage/locks';
import { ApiError, answerError } from './api-error';
import type { ApiRequest, ApiResponse } from './api-request';
import { appJwt } from './app-jwt';
import { createTokenIssuer } from './app-token-issuer';
import { createClientTelemetry, type ClientMetrics } from './client-telemetry';
import { createInstallationTurn, tokenTurnKey, type TurnPolicy } from './installation-turn';
import { nextPageUrl, pagesAfter } from './link';
import { createTokenStore } from './tokens';
import { createTransport, messageOf } from './transport';

export type { ApiRequest, ApiResponse } from './api-request';

export type Auth =
  | { kind: 'app'; appId: number; privateKey: string }
  | { kind: 'token'; token: string }
  /** No credentials: public endpoints only (`GET /meta`), on GitHub's unauthenticated budget. */
  | { kind: 'none' };

export interface ClientPolicy extends TurnPolicy {
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
  /** Where calls, rate-limit waits, token refreshes and refused credentials are counted. */
  metrics?: ClientMetrics | undefined;
}

export const PROVIDER = 'github';

/** The `installation` of the App's own calls (`asApp`): installation IDs are numeric, so it is no installation's. */
export const APP_CALLER = 'app';

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

export function createGitHubClient(deps: ClientDeps) {
  const { auth, policy, logger } = deps;
  const now = deps.now ?? Date.now;
  const transport = createTransport(deps.baseUrl, policy.timeoutMs);
  const telemetry = createClientTelemetry({ host: transport.host, logger, metrics: deps.metrics, now });
  const inTurn = createInstallationTurn({
    provider: PROVIDER,
    withLock: deps.withLock,
    transport,
    policy,
    now,
    sleep: deps.sleep ?? defaultSleep,
    turnKey: (installation) => (auth.kind === 'token' ? tokenTurnKey(auth.token) : installation),
  });
  const tokens = createTokenStore({
    provider: PROVIDER,
    db: deps.db,
    withLock: deps.withLock,
    sealer: deps.sealer,
    refreshMarginMs: policy.tokenRefreshMarginMs,
    now,
    issue:
      auth.kind === 'app'
        ? createTokenIssuer({ app: auth, transport, telemetry, now, secondaryWaitMs: policy.secondaryWaitMs })
        : () => Promise.reject(new Error('installation tokens need App mode')),
    onRefresh: (result) => telemetry.tokenRefreshed(result),
  });

  const credential = (installation: string, rejected?: string): Promise<string> =>
    auth.kind === 'token'
      ? Promise.resolve(auth.token)
      : auth.kind === 'none'
        ? Promise.resolve('')
        : tokens.get(installation, rejected);

  /** The App's JWT, made fresh for each call (it lasts minutes): there is nothing to refresh. */
  function appCredential(req: ApiRequest, method: string): string {
    const refused = (providerMessage: string, cause?: unknown) =>
      new ApiError(
        'client',
        { method, route: req.route, status: undefined, installation: req.installation, providerMessage },
        { cause },
      );
    if (auth.kind !== 'app') throw refused('this call needs App mode (APP_ID and PRIVATE_KEY)');
    try {
      return appJwt(auth.appId, auth.privateKey, now());
    } catch (err) {
      throw refused(`cannot sign the App JWT with PRIVATE_KEY (${(err as Error).message})`, err);
    }
  }
  const authorization = (token: string) =>
    auth.kind === 'none' ? '' : `${auth.kind === 'token' ? 'token' : 'Bearer'} ${token}`;

  async function call<T>(
    req: ApiRequest,
    method: string,
    started: number,
    span: Span,
  ): Promise<ApiResponse<T>> {
    let token = req.asApp ? appCredential(req, method) : await credential(req.installation);
    let a = await inTurn(req, method, authorization(token));
    telemetry.observe(req, a, span);
    if (a.verdict.kind === 'unauthorized' && auth.kind === 'app' && !req.asApp) {
      // An installation token can be revoked before it expires: one refresh and one retry. A second
      // 401 means the installation lost access.
      logger.warn({ installation: req.installation, route: req.route }, 'token refused: refreshing once');
      token = await credential(req.installation, token);
      a = await inTurn(req, method, authorization(token));
      span.setAttribute('http.request.resend_count', 1);
      telemetry.observe(req, a, span);
    }
    const { sent, verdict } = a;
    // Refused after the one refresh (or in token mode): the credentials do not work.
    telemetry.authRefused(verdict, sent.status);
    telemetry.answered(req, method, started, a);
    if (verdict.kind !== 'ok' && verdict.kind !== 'not-modified') {
      throw answerError(verdict, {
        method,
        route: req.route,
        status: sent.status,
        installation: req.installation,
        providerMessage: messageOf(a.data),
      });
    }
    return {
      status: sent.status,
      data: a.data as T,
      url: sent.url,
      next: nextPageUrl(sent.headers.get('link')),
      pagesAfter: pagesAfter(sent.headers.get('link')),
      fromCache: a.fromCache,
      movedTo: sent.movedTo,
      contentType: sent.headers.get('content-type') ?? undefined,
      rateLimit: a.rateLimit,
      waitedMs: a.waitedMs,
    };
  }

  return {
    request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
      const method = (req.method ?? 'GET').toUpperCase();
      return telemetry.inRequestSpan(req, method, async (span) => {
        const started = now();
        try {
          const res = await call<T>(req, method, started, span);
          telemetry.succeeded(req, method, started, res);
          return res;
        } catch (caught) {
          // A lock not free in time (the installation's turn, or its token refresh by another worker)
          // means: wait a moment, then call again.
          const err =
            caught instanceof LockTimeoutError
              ? new ApiError(
                  'busy',
                  {
                    method,
                    route: req.route,
                    status: undefined,
                    installation: req.installation,
                    waitMs: 1_000,
                  },
                  { cause: caught },
                )
              : caught;
          telemetry.failed(req, method, started, span, err);
          throw err;
        }
      });
    },

    tokens,
  };
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;
