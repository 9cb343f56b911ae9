// What an answer means, as data, for every call the client makes: success, a rate limit and how
// long it asks us to wait, or which kind of failure (GitHub's documented statuses, see
// https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api). Pure, over an
// injected `now`.
import { readRateLimit, readRetryAfter, RESET_MARGIN_MS } from './rate-limit';

export type Verdict =
  | { kind: 'ok' }
  | { kind: 'not-modified' }
  | { kind: 'rate-limited'; waitMs: number; limit: 'primary' | 'secondary' | 'retry-after' }
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'validation' }
  | { kind: 'not-found' }
  | { kind: 'client' }
  | { kind: 'server' };

export type ErrorKind = Exclude<Verdict['kind'], 'ok' | 'not-modified'> | 'network' | 'busy';

/**
 * Who made the call. An installation's own call can cure a 401 with a fresh installation token. The
 * App's call that issues that token cannot: a 401 there refuses the App's JWT, and a 404 says the
 * installation is gone, so both mean the App lost access to the installation.
 */
export type Caller = 'installation' | 'app';

/**
 * `secondaryWaitMs` is the wait for a secondary limit without Retry-After ("at least one minute"),
 * doubled for each secondary limit met in a row (`strikes`).
 */
export function classify(
  res: { status: number; headers: Headers; message: string | undefined },
  now: number,
  secondary: { waitMs: number; strikes: number },
  caller: Caller = 'installation',
): Verdict {
  const { status, headers } = res;
  if (status < 300) return { kind: 'ok' };
  if (status === 304) return { kind: 'not-modified' };
  if (status === 403 || status === 429) {
    const retryAfter = readRetryAfter(headers, now);
    if (retryAfter !== undefined) return { kind: 'rate-limited', waitMs: retryAfter, limit: 'retry-after' };
    const rl = readRateLimit(headers);
    if (rl && rl.remaining === 0) {
      return {
        kind: 'rate-limited',
        waitMs: Math.max(0, rl.resetAt - now) + RESET_MARGIN_MS,
        limit: 'primary',
      };
    }
    if (status === 429 || /secondary rate limit|abuse/i.test(res.message ?? '')) {
      return {
        kind: 'rate-limited',
        waitMs: secondary.waitMs * 2 ** Math.min(secondary.strikes, 6),
        limit: 'secondary',
      };
    }
    return status === 403 ? { kind: 'forbidden' } : { kind: 'client' };
  }
  if (status === 401) return caller === 'app' ? { kind: 'forbidden' } : { kind: 'unauthorized' };
  if (status === 400 || status === 422) return { kind: 'validation' };
  if (status === 404 || status === 410)
    return caller === 'app' ? { kind: 'forbidden' } : { kind: 'not-found' };
  if (status >= 500) return { kind: 'server' };
  return { kind: 'client' };
}
