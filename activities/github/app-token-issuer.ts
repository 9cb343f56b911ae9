// Installation access tokens, issued by the App itself: POST /app/installations/{id}/access_tokens
// with the App's JWT, outside any installation's budget and turn. Its answers are classified as
// every call's are, as the App's own call (a 401 or 404 there means the App lost the installation).
// https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
import type { Span } from '@opentelemetry/api';
import { ApiError, answerError } from './api-error';
import { appJwt } from './app-jwt';
import { classify } from './classify';
import type { ClientTelemetry } from './client-telemetry';
import type { IssuedToken } from './tokens';
import { baseHeaders, messageOf, parseBody, type Transport } from './transport';

export const TOKEN_ROUTE = '/app/installations/{installation_id}/access_tokens';

export interface TokenIssuerDeps {
  app: { appId: number; privateKey: string };
  transport: Transport;
  telemetry: ClientTelemetry;
  now: () => number;
  /** The wait for a secondary limit without Retry-After. */
  secondaryWaitMs: number;
}

export function createTokenIssuer(d: TokenIssuerDeps): (installation: string) => Promise<IssuedToken> {
  const { transport, telemetry, now } = d;
  const route = TOKEN_ROUTE;

  async function issueInSpan(installation: string, span: Span): Promise<IssuedToken> {
    let jwt: string;
    try {
      jwt = appJwt(d.app.appId, d.app.privateKey, now());
    } catch (err) {
      // A key that cannot sign will not sign on a retry either.
      throw new ApiError(
        'client',
        {
          method: 'POST',
          route,
          status: undefined,
          installation,
          providerMessage: `cannot sign the App JWT with PRIVATE_KEY (${(err as Error).message})`,
        },
        { cause: err },
      );
    }
    const started = now();
    const sent = await transport.send({
      method: 'POST',
      url: transport.resolve(`app/installations/${encodeURIComponent(installation)}/access_tokens`),
      headers: baseHeaders(`Bearer ${jwt}`, `token:${installation}`),
      route,
      installation,
    });
    telemetry.tokenAnswer(span, { installation, route, status: sent.status, started });
    const data = parseBody(sent.text);
    const answer = {
      method: 'POST',
      route,
      status: sent.status,
      installation,
      providerMessage: messageOf(data),
    };
    // The App's call stands apart from the installation's: no secondary-limit strikes carry over.
    const verdict = classify(
      { status: sent.status, headers: sent.headers, message: messageOf(data) },
      now(),
      { waitMs: d.secondaryWaitMs, strikes: 0 },
      'app',
    );
    telemetry.authRefused(verdict, sent.status);
    if (verdict.kind !== 'ok' && verdict.kind !== 'not-modified') throw answerError(verdict, answer);
    const issued = issuedToken(data);
    if (!issued) throw new ApiError('client', { ...answer, providerMessage: 'no token in the answer' });
    return issued;
  }

  return (installation) =>
    telemetry.inTokenSpan(route, installation, (span) => issueInSpan(installation, span));
}

/** The token and its expiry in a successful answer; undefined when either is missing. */
function issuedToken(data: unknown): IssuedToken | undefined {
  const { token, expires_at } = (data ?? {}) as { token?: unknown; expires_at?: unknown };
  const expiresAt = typeof expires_at === 'string' ? Date.parse(expires_at) : NaN;
  if (typeof token !== 'string' || token.length === 0 || Number.isNaN(expiresAt)) return undefined;
  return { token, expiresAt };
}
