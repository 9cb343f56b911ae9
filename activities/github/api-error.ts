// A typed error for every failed call, carrying what a person needs to act on it and nothing secret:
// the method, the route template, the status, the installation, and the provider's own message.
import type { ErrorKind } from './classify';

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly details: {
      method: string;
      route: string;
      status: number | undefined;
      installation: string;
      /** How long a rate limit (or a busy installation) asks us to wait. */
      waitMs?: number | undefined;
      limit?: string | undefined;
      providerMessage?: string | undefined;
    },
  ) {
    super(describe(kind, details));
    this.name = 'ApiError';
  }
}

function describe(kind: ErrorKind, d: ApiError['details']): string {
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
