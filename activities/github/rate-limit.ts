// GitHub's rate limits as plain data and pure functions over an injected `now`: what a response's
// headers say, and how long to wait before the next request of one installation, so that calls slow
// down before the budget runs out and mutations keep the spacing the secondary limits ask for.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
import type { Budget } from '../../lib/storage/api-state';

export type { Budget };

export interface RateLimit {
  limit: number;
  remaining: number;
  used: number | undefined;
  /** Epoch milliseconds. */
  resetAt: number;
  resource: string | undefined;
}

export interface PacingPolicy {
  mutationSpacingMs: number;
  contentPerMinute: number;
  contentPerHour: number;
  reservePercent: number;
}

export interface Wait {
  ms: number;
  reason: 'blocked' | 'primary-exhausted' | 'primary-pacing' | 'mutation-spacing' | 'content-pacing';
}

export const MUTATING_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** GitHub's reset is whole seconds on its clock: a little margin keeps us from arriving early. */
export const RESET_MARGIN_MS = 250;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function readRateLimit(headers: Headers): RateLimit | undefined {
  const int = (name: string) => {
    const v = headers.get(name);
    return v !== null && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  };
  const limit = int('x-ratelimit-limit');
  const remaining = int('x-ratelimit-remaining');
  const reset = int('x-ratelimit-reset');
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  return {
    limit,
    remaining,
    used: int('x-ratelimit-used'),
    resetAt: reset * 1000,
    resource: headers.get('x-ratelimit-resource') ?? undefined,
  };
}

/** `Retry-After` in seconds (GitHub) or as an HTTP date; undefined when absent or unreadable. */
export function readRetryAfter(headers: Headers, now: number): number | undefined {
  const v = headers.get('retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What remains of the primary budget now: a reset that has passed gives the whole limit back. */
function remainingNow(b: Budget, now: number): number | undefined {
  if (b.limit === null || b.remaining === null || b.resetAt === null) return undefined;
  return b.resetAt <= now ? b.limit : b.remaining;
}

export function budgetKnown(b: Budget, now: number): boolean {
  return remainingNow(b, now) !== undefined;
}

/** A request's place in the budget: a job's (a sync, a scan) or a webhook's. */
export interface RequestKind {
  mutating: boolean;
  createsContent: boolean;
  /**
   * Set for a job's requests: `requestsLeft` counts this one and those still to come, when known.
   * Webhooks' calls (unset) may use the reserve; a job's never do.
   */
  job?: { requestsLeft: number | undefined } | undefined;
}

/**
 * How long the next request must wait. A job runs at full speed while its remaining requests fit
 * in the budget left until the reset minus a reserve; when they do not, it spreads that budget
 * evenly until the reset — which uses it all by then, so a job larger than the budget finishes no
 * later than if it had raced, and webhook-driven calls meanwhile find their turn. A job that
 * cannot tell how much is left (a cursor listing, a scan that may stop early) runs freely while
 * half the budget remains, and spreads the rest. The reserve is
 * for webhook-driven calls only; they run freely above it and spread it until the reset, so calls
 * slow down before they reach zero. Mutations keep their spacing and content creation its
 * per-minute and per-hour pace, which GitHub enforces without a Retry-After.
 */
export function waitBeforeRequest(b: Budget, request: RequestKind, now: number, p: PacingPolicy): Wait {
  const waits: Wait[] = [];
  if (b.blockedUntil !== null && b.blockedUntil > now)
    waits.push({ ms: b.blockedUntil - now, reason: 'blocked' });

  const remaining = remainingNow(b, now);
  if (remaining !== undefined && b.limit !== null && b.resetAt !== null && b.resetAt > now) {
    const reserve = Math.ceil((b.limit * p.reservePercent) / 100);
    const job = request.job;
    const usable = job ? remaining - reserve : remaining;
    // A job that cannot tell how much is left runs freely while half the budget remains.
    const jobFits = (left: number | undefined) =>
      left === undefined ? remaining >= b.limit! / 2 : left <= usable;
    // Webhook-driven calls slow down in the reserve, and in the last request's worth at least.
    const fits = job ? jobFits(job.requestsLeft) : remaining > Math.max(1, reserve);
    if (usable <= 0) {
      waits.push({ ms: b.resetAt - now + RESET_MARGIN_MS, reason: 'primary-exhausted' });
    } else if (!fits && b.lastRequestAt !== null) {
      const spacing = (b.resetAt - now) / usable;
      waits.push({ ms: Math.ceil(b.lastRequestAt + spacing - now), reason: 'primary-pacing' });
    }
  }
  if (request.mutating && b.lastMutationAt !== null) {
    waits.push({ ms: b.lastMutationAt + p.mutationSpacingMs - now, reason: 'mutation-spacing' });
  }
  if (request.createsContent) {
    const lastMinute = b.contentCreated.filter((t) => t > now - MINUTE);
    const lastHour = b.contentCreated.filter((t) => t > now - HOUR);
    if (lastMinute.length >= p.contentPerMinute) {
      waits.push({
        ms: lastMinute[lastMinute.length - p.contentPerMinute] + MINUTE - now,
        reason: 'content-pacing',
      });
    }
    if (lastHour.length >= p.contentPerHour) {
      waits.push({ ms: lastHour[lastHour.length - p.contentPerHour] + HOUR - now, reason: 'content-pacing' });
    }
  }
  return waits.reduce<Wait>((longest, w) => (w.ms > longest.ms ? w : longest), { ms: 0, reason: 'blocked' });
}

/** The budget after a response: its headers, and the request's place in the spacing rules. */
export function afterResponse(
  b: Budget,
  r: {
    at: number;
    rateLimit: RateLimit | undefined;
    mutating: boolean;
    createsContent: boolean;
    counted: boolean;
  },
): Budget {
  const next: Budget = { ...b, lastRequestAt: r.at };
  if (r.rateLimit) {
    next.limit = r.rateLimit.limit;
    next.remaining = r.rateLimit.remaining;
    next.resetAt = r.rateLimit.resetAt;
    next.resource = r.rateLimit.resource ?? null;
  } else if (r.counted && next.remaining !== null && next.remaining > 0) {
    next.remaining -= 1;
  }
  if (r.mutating) next.lastMutationAt = r.at;
  if (r.createsContent) next.contentCreated = [...b.contentCreated.filter((t) => t > r.at - HOUR), r.at];
  return next;
}
