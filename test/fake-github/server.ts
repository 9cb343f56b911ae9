// A GitHub-like HTTP server on loopback for tests and benchmarks. It enforces (and records breaches
// of) a primary limit with a short window, the secondary rules (concurrent requests of one
// credential, mutation spacing, content creation pace), answers with ETags and opaque Link cursors,
// redirects renamed repositories with a 301, and plays scripted failures (5xx bursts, Retry-After,
// connection resets). Besides what hookflow syncs it serves what apps read: files (raw or as JSON),
// commits by author, a pull request and its files. It records every request so tests can assert on
// overlaps and spacing.
import { createHash, createVerify, randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { REQUEST_ID_HEADER } from '../../activities/github/transport';
import { makeRepo, type FakeCommit, type FakeIssue, type FakeRepo, type RepoShape } from './data';
import {
  createHookDeliveries,
  type DeliveriesListing,
  type FakeHook,
  type HookPlace,
} from './hook-deliveries';

export type { FakeHook } from './hook-deliveries';

export interface FakeOptions {
  /** Requests per window per credential. */
  limit?: number;
  /** Window length; whole seconds, as GitHub's reset header is. */
  windowMs?: number;
  tokenTtlMs?: number;
  appId?: number;
  appPublicKey?: string;
  /** Tokens accepted as they are (token mode): token → credential name. */
  staticTokens?: Record<string, string>;
  mutationSpacingMs?: number;
  contentPerMinute?: number;
  /** Answer secondary-limit breaches with a 403 (else only record them). */
  enforceSecondary?: boolean;
  latencyMs?: number;
  host?: string;
  /** How long a hook waits for the receiver's answer (GitHub: 10 s). */
  hookTimeoutMs?: number;
  /**
   * Number listing pages as GitHub does for issues, pulls and comments (`page=`, with `rel="last"`)
   * instead of opaque cursors.
   */
  pageNumbers?: boolean;
}

interface Recorded {
  method: string;
  path: string;
  url: string;
  credential: string | undefined;
  hadAuthorization: boolean;
  requestId: string | undefined;
  ifNoneMatch: string | undefined;
  status: number;
  start: number;
  end: number;
}

interface Violation {
  kind: 'primary' | 'concurrent' | 'mutation-spacing' | 'content';
  credential: string;
  at: number;
  detail: string;
}

interface Scripted {
  method?: string;
  path: RegExp;
  times: number;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Drop the connection instead of answering. */
  reset?: boolean;
  /**
   * Hold the request until this settles, then answer as usual (GitHub acting on it even when the
   * caller is gone by then); `arrived` says when it came.
   */
  hold?: { until: Promise<unknown>; arrived: () => void };
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** An answer that is not JSON (a file's raw text), sent as it is. */
  text?: string;
  counted?: boolean;
}

export interface FakeGitHub {
  url: string;
  requests: Recorded[];
  violations: Violation[];
  tokensIssued: Map<string, number>;
  /** Every installation token handed out, for tests that look for them where they must not be. */
  issuedTokens: string[];
  addRepo(fullName: string, shape: RepoShape): FakeRepo;
  /** A repository added before, to give it files, commits or a pull request's changed paths. */
  repo(fullName: string): FakeRepo;
  rename(from: string, to: string): void;
  script(s: Scripted): void;
  /** Every issued installation token stops working (as after a key rotation). */
  revokeTokens(): void;
  /** Every later token issuance answers this status. */
  refuseTokens(status: number | undefined): void;
  /** The issue as GitHub's API and webhooks show it. */
  issueJson(fullName: string, number: number): Record<string, unknown>;
  /** The pull request as GitHub's API (`GET /pulls/{n}`) and webhooks show it. */
  pullJson(fullName: string, number: number): Record<string, unknown>;
  /** A webhook that sends signed deliveries to `url`, with its delivery log and deliveries API. */
  addHook(place: HookPlace, c: { id: string; url: string; secret: string }): FakeHook;
  /** Every hook there is, added by a test or created through the hooks API or `POST /hub`. */
  hooks: readonly FakeHook[];
  /** Every `POST /hub` the fake was sent (its form fields, the secret left out). */
  hubRequests: readonly {
    mode: string | undefined;
    topic: string | undefined;
    callback: string | undefined;
  }[];
  /** Resolves when every delivery the API was asked to send so far (redeliveries, pings) has been attempted. */
  hookDeliveriesSettled(): Promise<void>;
  /** How delivery logs are listed (page size, faults); change it at any time. */
  deliveriesListing: DeliveriesListing;
  /** A non-API route answered with `fn` (a redirect target, say). */
  route(path: string, fn: (req: http.IncomingMessage) => Reply): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(o: FakeOptions = {}): Promise<FakeGitHub> {
  const limit = o.limit ?? 5000;
  const windowMs = o.windowMs ?? 3_600_000;
  const repos = new Map<string, FakeRepo>();
  const renamed = new Map<string, string>();
  const scripts: Scripted[] = [];
  const tokens = new Map<string, { installation: string; expiresAt: number }>();
  const requests: Recorded[] = [];
  const violations: Violation[] = [];
  const tokensIssued = new Map<string, number>();
  const issuedTokens: string[] = [];
  const used = new Map<string, { window: number; count: number }>();
  const inFlight = new Map<string, number>();
  const lastMutation = new Map<string, number>();
  const content = new Map<string, number[]>();
  const extraRoutes = new Map<string, (req: http.IncomingMessage) => Reply>();
  const cursorSecret = randomBytes(8).toString('hex');
  const cursors = new Map<string, number>();
  let refuseTokensWith: number | undefined;
  let base = '';
  const hookDeliveries = createHookDeliveries({ timeoutMs: o.hookTimeoutMs });

  const windowOf = (now: number) => Math.floor(now / windowMs);
  function rateHeaders(credential: string, now: number): Record<string, string> {
    const w = windowOf(now);
    const u = used.get(credential);
    const count = u && u.window === w ? u.count : 0;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - count)),
      'x-ratelimit-used': String(count),
      'x-ratelimit-reset': String(Math.ceil(((w + 1) * windowMs) / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }
  function spend(credential: string, now: number): boolean {
    const w = windowOf(now);
    const u = used.get(credential);
    if (!u || u.window !== w) used.set(credential, { window: w, count: 1 });
    else if (u.count >= limit) return false;
    else u.count++;
    return true;
  }

  function cursorFor(listing: string, offset: number): string {
    const c = createHash('sha256')
      .update(`${cursorSecret}:${listing}:${offset}`)
      .digest('base64url')
      .slice(0, 20);
    cursors.set(c, offset);
    return c;
  }

  function credentialOf(
    req: http.IncomingMessage,
    now: number,
  ): { credential?: string; jwt?: boolean; bad?: string } {
    const auth = req.headers.authorization;
    if (!auth) return {};
    const m = /^(token|bearer)\s+(.+)$/i.exec(auth);
    if (!m) return { bad: 'malformed Authorization' };
    const value = m[2];
    if (o.staticTokens?.[value]) return { credential: o.staticTokens[value] };
    const t = tokens.get(value);
    if (t)
      return t.expiresAt > now ? { credential: `installation:${t.installation}` } : { bad: 'token expired' };
    if (value.split('.').length === 3 && o.appPublicKey) {
      const [h, p, s] = value.split('.');
      const ok = createVerify('RSA-SHA256')
        .update(`${h}.${p}`)
        .verify(o.appPublicKey, Buffer.from(s, 'base64url'));
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; exp?: number };
      if (ok && claims.iss === String(o.appId) && (claims.exp ?? 0) * 1000 > now)
        return { credential: 'app', jwt: true };
      return { bad: 'bad JWT' };
    }
    return { bad: 'Bad credentials' };
  }

  const issueJson = (r: FakeRepo, i: FakeIssue) => ({
    ...i,
    url: `${base}/repos/${r.fullName}/issues/${i.number}`,
    labels_url: `${base}/repos/${r.fullName}/issues/${i.number}/labels{/name}`,
    comments_url: `${base}/repos/${r.fullName}/issues/${i.number}/comments`,
    html_url: `https://github.example/${r.fullName}/issues/${i.number}`,
  });
  const pullJson = (r: FakeRepo, p: FakeIssue) => ({
    id: p.id,
    number: p.number,
    title: p.title,
    state: p.state,
    user: p.user,
    draft: p.number % 5 === 0,
    head: { ref: `feature-${p.number}` },
    base: { ref: 'main' },
    merged_at: p.closed_at,
    created_at: p.created_at,
    updated_at: p.updated_at,
    closed_at: p.closed_at,
    url: `${base}/repos/${r.fullName}/pulls/${p.number}`,
    body: p.body,
  });
  // One pull request carries more than the listing shows of it.
  const pullDetailJson = (r: FakeRepo, p: FakeIssue) => ({
    ...pullJson(r, p),
    html_url: `https://github.example/${r.fullName}/pull/${p.number}`,
    head: { ref: `feature-${p.number}`, sha: createHash('sha1').update(`${r.id}:${p.number}`).digest('hex') },
    labels: p.labels,
    merged: false,
    merge_commit_sha: null,
    changed_files: r.pullFiles.get(p.number)?.length ?? 0,
  });
  const commitJson = (r: FakeRepo, c: FakeCommit) => ({
    sha: c.sha,
    url: `${base}/repos/${r.fullName}/commits/${c.sha}`,
    commit: { message: c.message, author: { name: c.author, date: c.date } },
    author: { login: c.author, type: 'User' },
  });

  function page(listing: string, items: unknown[], url: URL): Reply {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    if (o.pageNumbers) {
      const n = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const linkTo = (p: number) => {
        const to = new URL(url.pathname, base);
        for (const [k, v] of url.searchParams) if (k !== 'page') to.searchParams.set(k, v);
        to.searchParams.set('page', String(p));
        return to.href;
      };
      const headers: Record<string, string> =
        n < last ? { link: `<${linkTo(n + 1)}>; rel="next", <${linkTo(last)}>; rel="last"` } : {};
      return { status: 200, headers, body: items.slice((n - 1) * perPage, n * perPage) };
    }
    const after = url.searchParams.get('after');
    const offset = after ? cursors.get(after) : 0;
    if (offset === undefined) return { status: 422, body: { message: 'Validation Failed: unknown cursor' } };
    const slice = items.slice(offset, offset + perPage);
    const headers: Record<string, string> = {};
    if (offset + perPage < items.length) {
      const next = new URL(url.pathname, base);
      for (const [k, v] of url.searchParams) if (k !== 'after') next.searchParams.set(k, v);
      next.searchParams.set('after', cursorFor(listing, offset + perPage));
      headers.link = `<${next.href}>; rel="next"`;
    }
    return { status: 200, headers, body: slice };
  }

  /** Listings are built once per repository state (mutations and renames clear them), so the fake stays cheap. */
  const listings = new Map<string, unknown[]>();
  const listing = (key: string, build: () => unknown[]) => {
    let items = listings.get(key);
    if (!items) listings.set(key, (items = build()));
    return items;
  };

  function repoRoute(
    r: FakeRepo,
    rest: string,
    method: string,
    url: URL,
    body: unknown,
    accept: string | undefined,
  ): Reply | undefined {
    if (method === 'GET' && rest === '/issues') {
      const all = listing(`${r.id}:issues`, () => {
        const pulls = new Set(r.pulls);
        return [...r.issues, ...r.pulls]
          .sort((a, b) => b.number - a.number)
          .map((i) =>
            pulls.has(i)
              ? { ...issueJson(r, i), pull_request: { url: `${base}/repos/${r.fullName}/pulls/${i.number}` } }
              : issueJson(r, i),
          );
      });
      // Newest first unless asked otherwise; `creator` narrows to one author's, as GitHub's does.
      const creator = url.searchParams.get('creator');
      const ascending = url.searchParams.get('direction') === 'asc';
      let items = creator ? all.filter((i) => (i as FakeIssue).user.login === creator) : all;
      if (ascending) items = [...items].reverse();
      const narrowed = creator || ascending ? `:${creator}:asc=${ascending}` : '';
      return page(`${r.id}:issues:${url.searchParams.get('state')}${narrowed}`, items, url);
    }
    if (method === 'GET' && rest === '/commits') {
      const author = url.searchParams.get('author');
      const commits = author ? r.commits.filter((c) => c.author === author) : r.commits;
      return page(
        `${r.id}:commits:${author}`,
        commits.map((c) => commitJson(r, c)),
        url,
      );
    }
    const file = /^\/contents\/(.+)$/.exec(rest);
    if (method === 'GET' && file) {
      // Octokit sends the path's slashes encoded (`.github%2Fconfig.yml`); GitHub takes either.
      const filePath = decodeURIComponent(file[1]);
      const text = r.files.get(filePath);
      if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
      if (accept && /\.raw\b/.test(accept))
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, text };
      return {
        status: 200,
        body: {
          type: 'file',
          encoding: 'base64',
          size: Buffer.byteLength(text),
          name: path.posix.basename(filePath),
          path: filePath,
          content: Buffer.from(text).toString('base64'),
          sha: createHash('sha1').update(text).digest('hex'),
        },
      };
    }
    const pull = /^\/pulls\/(\d+)(\/files)?$/.exec(rest);
    if (method === 'GET' && pull) {
      const p = r.pulls.find((x) => x.number === Number(pull[1]));
      if (!p) return { status: 404, body: { message: 'Not Found' } };
      if (!pull[2]) return { status: 200, body: pullDetailJson(r, p) };
      const files = (r.pullFiles.get(p.number) ?? []).map((filename) => ({
        sha: createHash('sha1').update(filename).digest('hex'),
        filename,
        status: 'modified',
        additions: 1,
        deletions: 0,
        changes: 1,
      }));
      return page(`${r.id}:pull-files:${p.number}`, files, url);
    }
    if (method === 'GET' && rest === '/pulls') {
      const items = listing(`${r.id}:pulls`, () =>
        [...r.pulls].sort((a, b) => b.number - a.number).map((p) => pullJson(r, p)),
      );
      return page(`${r.id}:pulls`, items, url);
    }
    const commentJson = (c: FakeRepo['comments'][number]) => ({
      id: c.id,
      url: `${base}/repos/${r.fullName}/issues/comments/${c.id}`,
      issue_url: `${base}/repos/${r.fullName}/issues/${c.issueNumber}`,
      user: c.user,
      body: c.body,
      created_at: c.created_at,
      updated_at: c.updated_at,
    });
    if (method === 'GET' && rest === '/issues/comments') {
      return page(
        `${r.id}:comments`,
        listing(`${r.id}:comments`, () => r.comments.map(commentJson)),
        url,
      );
    }
    if (method === 'GET' && rest === '') {
      return { status: 200, body: { id: r.id, full_name: r.fullName, url: `${base}/repos/${r.fullName}` } };
    }
    if (method === 'GET' && rest === '/installation')
      return { status: 200, body: { id: Number(r.installation) } };
    const m = /^\/issues\/(\d+)\/(labels|comments)$/.exec(rest);
    // A pull request is an issue too: its labels and comments are the issue's.
    const issue = m ? [...r.issues, ...r.pulls].find((i) => i.number === Number(m[1])) : undefined;
    if (m && !issue) return { status: 404, body: { message: 'Not Found' } };
    if (m && issue && method === 'GET' && m[2] === 'comments') {
      return page(
        `${r.id}:comments:${issue.number}`,
        r.comments.filter((c) => c.issueNumber === issue.number).map(commentJson),
        url,
      );
    }
    if (m && issue && method === 'POST' && m[2] === 'labels') {
      const labels = (body as { labels?: unknown })?.labels;
      if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
        return { status: 422, body: { message: 'Validation Failed', errors: [{ field: 'labels' }] } };
      }
      for (const l of labels as string[])
        if (!issue.labels.some((x) => x.name === l)) issue.labels.push({ name: l });
      issue.updated_at = new Date().toISOString();
      listings.clear();
      return { status: 200, body: issue.labels };
    }
    if (m && issue && method === 'POST' && m[2] === 'comments') {
      const text = (body as { body?: unknown })?.body;
      if (typeof text !== 'string' || text.length === 0)
        return { status: 422, body: { message: 'Validation Failed' } };
      const c = {
        id: r.id * 1_000_000 + 800_000 + r.comments.length,
        issueNumber: issue.number,
        user: { login: 'hookflow[bot]' },
        body: text,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      };
      r.comments.push(c);
      issue.comments++;
      listings.clear();
      return { status: 201, body: commentJson(c) };
    }
    return undefined;
  }

  function handle(req: http.IncomingMessage, url: URL, body: unknown, now: number): Reply {
    const method = req.method ?? 'GET';
    const extra = extraRoutes.get(url.pathname);
    if (extra) return extra(req);
    const who = credentialOf(req, now);
    if (who.bad) return { status: 401, body: { message: who.bad } };
    if (!who.credential) return { status: 401, body: { message: 'Requires authentication' } };
    const hookReply =
      hookDeliveries.route(method, url, base, { jwt: who.jwt === true }) ??
      hookDeliveries.manage(method, url, base, body, { jwt: who.jwt === true }) ??
      hookDeliveries.hub(method, url, body, { jwt: who.jwt === true });
    if (hookReply) return hookReply;

    // The App's hook config, as GET /app/hook/config shows it (the secret never, only that there is one).
    if (url.pathname === '/app/hook/config' && method === 'GET') {
      if (!who.jwt) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      const hook = hookDeliveries.hooks.find((h) => h.place.kind === 'app');
      return {
        status: 200,
        body: {
          url: hook?.url ?? null,
          content_type: hook?.contentType ?? 'json',
          insecure_ssl: hook?.insecureSsl ?? '0',
          ...(hook?.secret ? { secret: '********' } : {}),
        },
      };
    }
    if (url.pathname === '/app' && method === 'GET') {
      if (!who.jwt) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      return { status: 200, body: { id: o.appId, slug: 'hookflow-fake' } };
    }
    // GET /app/installations/{id}: the installations of the fake's repositories exist, no other.
    const installationRoute = /^\/app\/installations\/(\d+)$/.exec(url.pathname);
    if (installationRoute && method === 'GET') {
      if (!who.jwt) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      const repo = [...repos.values()].find((r) => r.installation === installationRoute[1]);
      return repo
        ? {
            status: 200,
            body: { id: Number(installationRoute[1]), account: { login: repo.fullName.split('/')[0] } },
          }
        : { status: 404, body: { message: 'Not Found' } };
    }
    const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (tokenRoute && method === 'POST') {
      if (!who.jwt) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      if (refuseTokensWith) return { status: refuseTokensWith, body: { message: 'refused by the test' } };
      const token = `ghs_${randomBytes(48).toString('base64url')}`;
      issuedTokens.push(token);
      const expiresAt = now + (o.tokenTtlMs ?? 3_600_000);
      tokens.set(token, { installation: tokenRoute[1], expiresAt });
      tokensIssued.set(tokenRoute[1], (tokensIssued.get(tokenRoute[1]) ?? 0) + 1);
      return { status: 201, body: { token, expires_at: new Date(expiresAt).toISOString() }, counted: false };
    }
    if (url.pathname === '/rate_limit') {
      const h = rateHeaders(who.credential, now);
      return {
        status: 200,
        counted: false,
        body: {
          resources: {
            core: {
              limit,
              remaining: Number(h['x-ratelimit-remaining']),
              reset: Number(h['x-ratelimit-reset']),
            },
          },
        },
      };
    }

    let m = /^\/repos\/([^/]+\/[^/]+)(\/.*)?$/.exec(url.pathname);
    let repo = m ? repos.get(m[1].toLowerCase()) : undefined;
    if (m && !repo && renamed.has(m[1].toLowerCase())) {
      const target = repos.get(renamed.get(m[1].toLowerCase())!)!;
      const to = new URL(`/repositories/${target.id}${m[2] ?? ''}${url.search}`, base);
      return { status: 301, headers: { location: to.href }, body: { message: 'Moved Permanently' } };
    }
    if (!m) {
      m = /^\/repositories\/(\d+)(\/.*)?$/.exec(url.pathname);
      repo = m ? [...repos.values()].find((r) => String(r.id) === m![1]) : undefined;
    }
    if (!repo || !m) return { status: 404, body: { message: 'Not Found' } };
    if (who.jwt && m[2] !== '/installation')
      return { status: 401, body: { message: 'an App JWT cannot call this' } };
    if (!who.jwt && who.credential !== `installation:${repo.installation}` && !o.staticTokens) {
      return { status: 404, body: { message: 'Not Found' } };
    }
    return (
      repoRoute(repo, m[2] ?? '', method, url, body, req.headers.accept) ?? {
        status: 404,
        body: { message: 'Not Found' },
      }
    );
  }

  const server = http.createServer((req, res) => {
    const start = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', base);
        const method = req.method ?? 'GET';
        const who = credentialOf(req, start);
        const credential = who.credential;
        const record = (status: number) =>
          requests.push({
            method,
            path: url.pathname,
            url: url.href,
            credential,
            hadAuthorization: req.headers.authorization !== undefined,
            requestId: req.headers[REQUEST_ID_HEADER] as string | undefined,
            ifNoneMatch: req.headers['if-none-match'],
            status,
            start,
            end: Date.now(),
          });
        const violate = (kind: Violation['kind'], detail: string) =>
          violations.push({ kind, credential: credential ?? '-', at: start, detail });

        if (credential && credential !== 'app') {
          const n = (inFlight.get(credential) ?? 0) + 1;
          inFlight.set(credential, n);
          if (n > 1) violate('concurrent', `${n} requests at once`);
        }
        try {
          if (o.latencyMs) await new Promise((r) => setTimeout(r, o.latencyMs));
          const scripted = scripts.find(
            (s) => s.times > 0 && s.path.test(url.pathname) && (!s.method || s.method === method),
          );
          if (scripted?.hold) {
            scripted.times--;
            scripted.hold.arrived();
            await scripted.hold.until;
          } else if (scripted) {
            scripted.times--;
            if (scripted.reset) {
              record(0);
              req.socket.destroy();
              return;
            }
            const headers = credential
              ? { ...rateHeaders(credential, start), ...scripted.headers }
              : scripted.headers;
            res.writeHead(scripted.status ?? 500, { 'content-type': 'application/json', ...headers });
            res.end(JSON.stringify(scripted.body ?? { message: 'scripted' }));
            record(scripted.status ?? 500);
            return;
          }
          let body: unknown;
          try {
            const text = Buffer.concat(chunks).toString();
            body = !chunks.length
              ? undefined
              : req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
                ? Object.fromEntries(new URLSearchParams(text))
                : JSON.parse(text);
          } catch {
            body = undefined;
          }
          let reply: Reply;
          const mutating = method !== 'GET' && method !== 'HEAD';
          const isContent = method === 'POST' && /\/comments$/.test(url.pathname);
          // The App's token requests are not paced; its redelivery requests are mutations like any other.
          const isAttempt = method === 'POST' && /\/deliveries\/\d+\/attempts$/.test(url.pathname);
          if (credential && (credential !== 'app' || isAttempt) && mutating) {
            const last = lastMutation.get(credential);
            lastMutation.set(credential, start);
            if (last !== undefined && start - last < (o.mutationSpacingMs ?? 1000)) {
              violate('mutation-spacing', `${start - last} ms after the previous mutation`);
            }
            if (isContent) {
              const times = (content.get(credential) ?? []).filter((t) => t > start - 60_000);
              times.push(start);
              content.set(credential, times);
              if (times.length > (o.contentPerMinute ?? 80))
                violate('content', `${times.length} in a minute`);
            }
          }
          const breached = violations.some(
            (v) => v.at === start && v.credential === credential && v.kind !== 'primary',
          );
          if (breached && o.enforceSecondary) {
            reply = { status: 403, body: { message: 'You have exceeded a secondary rate limit.' } };
          } else {
            reply = handle(req, url, body, start);
          }
          const counted = reply.counted !== false && credential !== undefined && credential !== 'app';
          let headers: Record<string, string> = { 'content-type': 'application/json', ...reply.headers };
          let text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
          if (counted && credential) {
            const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`;
            const notModified =
              reply.status === 200 && method === 'GET' && req.headers['if-none-match'] === etag;
            if (notModified) {
              reply = { status: 304 };
              text = '';
            } else if (!spend(credential, start)) {
              violate('primary', 'request after the budget was spent');
              reply = { status: 403 };
              text = JSON.stringify({ message: 'API rate limit exceeded for installation.' });
            }
            headers = {
              ...headers,
              ...rateHeaders(credential, start),
              ...(reply.status === 200 && method === 'GET' ? { etag } : {}),
            };
          }
          res.writeHead(reply.status, headers);
          res.end(reply.status === 304 ? undefined : text);
          record(reply.status);
        } finally {
          if (credential && credential !== 'app')
            inFlight.set(credential, (inFlight.get(credential) ?? 1) - 1);
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, o.host ?? '127.0.0.1', r));
  base = `http://${o.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    violations,
    tokensIssued,
    issuedTokens,
    addRepo(fullName, shape) {
      const r = makeRepo(fullName, shape);
      repos.set(fullName.toLowerCase(), r);
      return r;
    },
    rename(from, to) {
      const r = repos.get(from.toLowerCase());
      if (!r) throw new Error(`no repository ${from}`);
      repos.delete(from.toLowerCase());
      r.fullName = to;
      repos.set(to.toLowerCase(), r);
      listings.clear();
      renamed.set(from.toLowerCase(), to.toLowerCase());
    },
    issueJson(fullName, number) {
      const r = repos.get(fullName.toLowerCase());
      const i = r?.issues.find((x) => x.number === number);
      if (!r || !i) throw new Error(`no issue ${fullName}#${number}`);
      return issueJson(r, i);
    },
    repo(fullName) {
      const r = repos.get(fullName.toLowerCase());
      if (!r) throw new Error(`no repository ${fullName}`);
      return r;
    },
    pullJson(fullName, number) {
      const r = repos.get(fullName.toLowerCase());
      const p = r?.pulls.find((x) => x.number === number);
      if (!r || !p) throw new Error(`no pull request ${fullName}#${number}`);
      return pullDetailJson(r, p);
    },
    script: (s) => scripts.push({ ...s }),
    revokeTokens: () => tokens.clear(),
    refuseTokens(status) {
      refuseTokensWith = status;
    },
    addHook: (place, c) => hookDeliveries.addHook(place, c),
    hooks: hookDeliveries.hooks,
    hubRequests: hookDeliveries.hubRequests,
    hookDeliveriesSettled: () => hookDeliveries.settled(),
    deliveriesListing: hookDeliveries.listing,
    route: (path, fn) => extraRoutes.set(path, fn),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
