// Which URL an activity calls when GitHub handed it one. URLs GitHub hands out are used as given
// (GitHub's REST best practices: do not build them yourself), but only on the configured API's
// origin. A webhook payload from GitHub.com names https://api.github.com while GITHUB_API_URL may
// point at a GitHub Enterprise Server, a proxy or a test's fake; a target stored under an earlier
// GITHUB_API_URL, or an answer relayed by a proxy, can name another host too. Followed, such a URL
// leaves the configured API — without credentials, which the client sends only to the API's own
// origin — and fails every time; the API's own route for the same resource does not.
import type { Logger } from '../lib/logger';

/** The origin of `url` (scheme, host and port), or the text itself when it is no URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Whether `url` is on the configured API's origin. */
export function onApiOrigin(url: string, apiUrl: string): boolean {
  return URL.canParse(url) && originOf(url) === originOf(apiUrl);
}

/** A route of the configured API (`/repos/octo/hooks`) as a URL, under its path prefix if it has one (GitHub Enterprise Server's `/api/v3`). */
export function apiRoute(apiUrl: string, path: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export interface KeptUrl {
  url: string;
  /** Set when the candidate was on another origin and not used: the origin it named. */
  refusedOrigin?: string;
}

/** `candidate` when it is on the configured API's origin; else `fallback`, with the origin refused. */
export function keepOnApi(apiUrl: string, candidate: string | undefined, fallback: string): KeptUrl {
  if (candidate === undefined) return { url: fallback };
  if (onApiOrigin(candidate, apiUrl)) return { url: candidate };
  return { url: fallback, refusedOrigin: originOf(candidate) };
}

/** keepOnApi, and a warning naming both origins when the candidate is refused. */
export function keepOnApiOrWarn(
  logger: Pick<Logger, 'warn'>,
  apiUrl: string,
  candidate: string | undefined,
  fallback: string,
  context: Record<string, unknown>,
): string {
  const kept = keepOnApi(apiUrl, candidate, fallback);
  if (kept.refusedOrigin !== undefined) {
    logger.warn(
      {
        ...context,
        url: candidate,
        origin: kept.refusedOrigin,
        apiOrigin: originOf(apiUrl),
        using: kept.url,
      },
      "URL not on the configured API's origin: using the API's own route instead",
    );
  }
  return kept.url;
}
