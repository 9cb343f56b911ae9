// A typed error for every failed call, carrying what a person needs to act on it and nothing secret:
// the method, the route template, the status, the installation, and the provider's own message. The
// underlying error (a refused connection, a key that cannot sign) stays reachable as `cause`.
import type { ErrorKind, Verdict } from './classify';

export interface ApiErrorDetails {
  method: string;
  route: string;
  status: number | undefined;
  installation: string;
  /** How long a rate limit (or a busy installation) asks us to wait. */
  waitMs?: number | undefined;
  limit?: string | undefined;
  providerMessage?: string | undefined;
}

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly details: ApiErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(describe(kind, details), options);
    this.name = 'ApiError';
  }
}

/** The error an answer that is no success stands for, with the wait a rate limit asked for. */
export function answerError(
  verdict: Exclude<Verdict, { kind: 'ok' } | { kind: 'not-modified' }>,
  details: Omit<ApiErrorDetails, 'waitMs' | 'limit'>,
): ApiError {
  return new ApiError(verdict.kind, {
    ...details,
    waitMs: verdict.kind === 'rate-limited' ? verdict.waitMs : undefined,
    limit: verdict.kind === 'rate-limited' ? verdict.limit : undefined,
  });
}

function describe(kind: ErrorKind, d: ApiErrorDetails): string {
  const call = `${d.method} ${d.route}`;
  const said = d.providerMessage ? `: ${d.providerMessage}` : '';
  switch (kind) {
    case 'unauthorized':
    case 'forbidden':
      return `installation ${d.installation} lost access: GitHub answered ${d.status} to ${call}${said}`;
    case 'rate-limited':
      return `installation ${d.installation} is rate limited (${d.limit}) on ${call}: waiting ${d.waitMs} ms`;
    case 'busy':
      return `installation ${d.installation} is busy with another request; ${call} waits its turn`;
    case 'network':
      return `${call} did not get an answer${said}`;
    default:
      return `GitHub answered ${d.status} to ${call}${said}`;
  }
}
