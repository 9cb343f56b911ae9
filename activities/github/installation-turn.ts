// One request in its installation's turn. GitHub's secondary limits ask that one installation's
// requests be made serially, so every worker takes the same lock per installation (per token in token
// mode) and, holding it, reads the shared budget (probing the free /rate_limit when it is unknown),
// serves 304s from the conditional-request cache, and writes back what the answer's rate-limit
// headers said. A pacing wait is slept between turns, not holding one, so a job that paces itself
// does not hold up a webhook handler's call of the same installation.
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
import { createHash } from 'node:crypto';
import { readBudget, readCache, writeBudget, writeCache } from '../../lib/storage/api-state';
import type { Queryable } from '../../lib/storage/db';
import type { WithLock } from '../../lib/storage/locks';
import { ApiError } from './api-error';
import type { ApiRequest } from './api-request';
import { classify, type Verdict } from './classify';
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
import { baseHeaders, parseBody, messageOf, type Sent, type Transport } from './transport';

export interface TurnPolicy extends PacingPolicy {
  timeoutMs: number;
  /** Waits longer than this are not slept here: the call fails as rate limited and waits elsewhere. */
  inlineWaitMs: number;
  secondaryWaitMs: number;
}

export interface TurnDeps {
  provider: string;
  withLock: WithLock;
  transport: Transport;
  policy: TurnPolicy;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Whose budget and turn a request of `installation` uses. */
  turnKey: (installation: string) => string;
}

/** An answered request, as the turn leaves it: classified, its body read (or taken from the cache). */
export interface Attempt {
  sent: Sent;
  verdict: Verdict;
  data: unknown;
  fromCache: boolean;
  rateLimit: RateLimit | undefined;
  waitedMs: number;
}

/** A personal token shares one budget across every installation it reaches; its key hides the token. */
export function tokenTurnKey(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/** The lock every worker takes for a turn of `key` (an installation, or a token's key). */
export function turnLockName(provider: string, key: string): string {
  return `turn:${provider}:${key}`;
}

export function createInstallationTurn(d: TurnDeps) {
  const { policy, transport, now, provider } = d;
  // Long enough for the holder's budget probe and request (pacing waits are slept outside the turn).
  const lockWaitMs = policy.timeoutMs + policy.inlineWaitMs + 1_000;

  /** Reads `/rate_limit` (free against the primary limit) when the budget is unknown. */
  async function probeBudget(
    budget: Budget,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Budget> {
    let sent: Sent;
    try {
      sent = await transport.send({
        method: 'GET',
        url: transport.resolve('rate_limit'),
        headers,
        signal,
        route: '/rate_limit',
        installation: '-',
      });
    } catch {
      return budget; // best effort: the request's own answer will tell
    }
    const core = (
      parseBody(sent.text) as {
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

  /**
   * One request in the installation's turn. Failures are returned, not thrown: the turn has written
   * the budget by then, and the lock is released before the error goes on. A pacing wait is returned
   * too, to be slept outside the turn: another request of the installation (a webhook's, while a job
   * paces itself) may go in the meantime, and the wait is weighed again afterwards.
   */
  function turn(
    req: ApiRequest,
    method: string,
    authorization: string,
    waitedMs: number,
  ): Promise<Attempt | { error: unknown } | { waitMs: number }> {
    const key = d.turnKey(req.installation);
    const mutating = MUTATING_METHODS.has(method);
    const createsContent = req.createsContent === true;
    // The cache keeps one body per URL, in GitHub's JSON: another media type is never cached.
    const conditional = req.conditional === true && method === 'GET' && !req.accept;
    const url = transport.resolve(req.url);
    const headers = baseHeaders(authorization, req.requestId);
    if (req.accept) headers.accept = req.accept;
    let body: string | undefined;
    if (req.form !== undefined) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }

    return d.withLock(turnLockName(provider, key), lockWaitMs, async (q: Queryable) => {
      let budget = await readBudget(q, provider, key);
      if (!budgetKnown(budget, now())) budget = await probeBudget(budget, headers, req.signal);
      const wait = waitBeforeRequest(budget, { mutating, createsContent, job: req.job }, now(), policy);
      if (wait.ms > policy.inlineWaitMs - waitedMs) {
        await writeBudget(q, provider, key, budget);
        return {
          error: new ApiError('rate-limited', {
            method,
            route: req.route,
            status: undefined,
            installation: req.installation,
            waitMs: wait.ms,
            limit: wait.reason,
          }),
        };
      }
      if (wait.ms > 0) {
        await writeBudget(q, provider, key, budget);
        return { waitMs: wait.ms };
      }

      const cached = conditional ? await readCache(q, provider, key, url.href) : undefined;
      if (cached?.etag) headers['if-none-match'] = cached.etag;
      else if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;

      // A call cancelled while it waited for the turn is not sent (the send itself is not aborted below).
      if (req.signal?.aborted) return { error: req.signal.reason as unknown };
      let sent: Sent;
      try {
        sent = await transport.send({
          method,
          url,
          headers,
          body,
          // A mutation on the wire runs to its answer (bounded by the timeout): aborting it would not
          // take it back, and the answer is what a handler's journal keeps for the next attempt.
          signal: mutating ? undefined : req.signal,
          route: req.route,
          installation: req.installation,
        });
      } catch (err) {
        // A mutation may have landed even though its answer was lost: it keeps its spacing.
        await writeBudget(
          q,
          provider,
          key,
          afterResponse(budget, { at: now(), rateLimit: undefined, mutating, createsContent, counted: true }),
        );
        return { error: err };
      }
      const at = now();
      const rateLimit = readRateLimit(sent.headers);
      // Another media type asked for (a file's raw text) is handed back as text, as Octokit does.
      const asText = req.accept !== undefined && !/json/i.test(sent.headers.get('content-type') ?? '');
      let data = asText ? sent.text : parseBody(sent.text);
      const verdict = classify({ status: sent.status, headers: sent.headers, message: messageOf(data) }, at, {
        waitMs: policy.secondaryWaitMs,
        strikes: budget.secondaryStrikes,
      });
      let next = afterResponse(budget, {
        at,
        rateLimit,
        mutating,
        createsContent,
        // A 304 costs no quota on GitHub.
        counted: sent.status !== 304,
      });
      if (verdict.kind === 'rate-limited') {
        next.blockedUntil = at + verdict.waitMs;
        if (verdict.limit === 'secondary') next.secondaryStrikes += 1;
      } else if (verdict.kind === 'ok' || verdict.kind === 'not-modified') {
        next = { ...next, secondaryStrikes: 0 };
      }
      await writeBudget(q, provider, key, next);

      let fromCache = false;
      if (verdict.kind === 'not-modified' && cached) {
        data = parseBody(cached.body);
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
          await writeCache(q, provider, key, url.href, {
            etag,
            lastModified,
            link: sent.headers.get('link'),
            body: sent.text,
          });
        }
      }
      return { sent, verdict, data, fromCache, rateLimit, waitedMs };
    });
  }

  /** One request in the installation's turn; its failure is thrown once the turn is over. */
  return async function inTurn(req: ApiRequest, method: string, authorization: string): Promise<Attempt> {
    for (let waitedMs = 0; ;) {
      const result = await turn(req, method, authorization, waitedMs);
      if ('error' in result) throw result.error;
      if (!('waitMs' in result)) return result;
      await d.sleep(result.waitMs, req.signal);
      waitedMs += result.waitMs;
    }
  };
}
