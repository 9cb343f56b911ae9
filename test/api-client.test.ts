// The API client against the fake provider over loopback, with real PostgreSQL (and PGlite) holding
// the shared state: tokens, budgets, turns, the conditional-request cache.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../activities/github/api-error';
import { PROVIDER } from '../activities/github/client';
import { turnLockName } from '../activities/github/installation-turn';
import type { FakeGitHub } from './fake-github/server';
import { createSealer } from '../lib/crypto';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/telemetry/metrics';
import { writeToken } from '../lib/storage/api-state';
import { createLocks } from '../lib/storage/locks';
import { clientFor, startFake, type ClientFixture } from './helpers/api';
import { advisoryLockHeld } from './helpers/advisory-locks';
import { waitFor } from './helpers/env';

const ISSUES = 'repos/octo/one/issues?state=all&per_page=100';
const get = (installation = '11', url = ISSUES, extra: Record<string, unknown> = {}) => ({
  url,
  route: '/repos/{owner}/{repo}/issues',
  installation,
  requestId: 'job-1',
  ...extra,
});

async function expectApiError(p: Promise<unknown>, kind: ApiError['kind']): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} ApiError`);
}

for (const storage of ['postgres', 'embedded'] as const) {
  describe(`API client (${storage})`, () => {
    let fake: FakeGitHub;
    let f: ClientFixture;
    before(async () => {
      fake = await startFake();
      fake.addRepo('octo/one', { id: 1, installation: '11', issues: 250, pulls: 20, commentsPerIssue: 1 });
      f = await clientFor(fake, { storage });
    });
    after(async () => {
      await f.close();
      await fake.close();
    });

    test('issues a token once, sends it with the request ID, and pages through Link cursors', async () => {
      let url: string | undefined = ISSUES;
      let items = 0;
      let pages = 0;
      while (url) {
        const res: Awaited<ReturnType<typeof f.client.request<unknown[]>>> = await f.client.request<
          unknown[]
        >(get('11', url));
        items += res.data.length;
        pages++;
        url = res.next;
      }
      assert.equal(items, 270);
      assert.equal(pages, 3);
      assert.equal(fake.tokensIssued.get('11'), 1);
      // The budget was unknown: /rate_limit (free) was read before the first call.
      assert.equal(fake.requests.find((r) => r.credential === 'installation:11')?.path, '/rate_limit');
      // The token is stored sealed: its text appears nowhere in the row.
      const { rows } = await f.store.db.query<{ ciphertext: string }>('SELECT ciphertext FROM api_tokens');
      assert.equal(rows.length, 1);
      assert.doesNotMatch(rows[0].ciphertext, /ghs_/);
      assert.match(rows[0].ciphertext, /^v1\./);
      const calls = fake.requests.filter((r) => r.path === '/repos/octo/one/issues');
      assert.ok(calls.every((r) => r.requestId === 'job-1' && r.credential === 'installation:11'));
      assert.ok(calls.slice(1).every((r) => /after=/.test(r.url) && !/[?&]page=/.test(r.url)));
    });

    test('a repeated conditional GET is a 304 served from the cache and costs no quota', async () => {
      const first = await f.client.request<unknown[]>(get('11', ISSUES, { conditional: true }));
      const second = await f.client.request<unknown[]>(get('11', ISSUES, { conditional: true }));
      assert.equal(second.status, 304);
      assert.equal(second.fromCache, true);
      assert.deepEqual(second.data, first.data);
      assert.equal(second.next, first.next);
      assert.equal(second.rateLimit?.remaining, first.rateLimit?.remaining);
    });

    test('a 401 refreshes the token once and retries; a second 401 says which installation lost access', async () => {
      fake.revokeTokens();
      const before = fake.tokensIssued.get('11') ?? 0;
      await f.client.request(get());
      assert.equal(fake.tokensIssued.get('11'), before + 1);
      fake.script({
        path: /\/repos\/octo\/one\/issues$/,
        times: 2,
        status: 401,
        body: { message: 'Bad credentials' },
      });
      const err = await expectApiError(f.client.request(get()), 'unauthorized');
      assert.match(err.message, /installation 11 lost access/);
    });

    test('a stored token sealed with a key no longer configured is replaced, not an error', async () => {
      const foreign = createSealer([Buffer.alloc(32, 99)]).seal('ghs_from_an_old_key');
      await writeToken(f.store.db, 'github', '11', foreign, Date.now() + 3_600_000);
      const before = fake.tokensIssued.get('11') ?? 0;
      await f.client.request(get());
      assert.equal(fake.tokensIssued.get('11'), before + 1);
    });

    test('each error class becomes its typed error', async () => {
      fake.script({ path: /\/issues$/, times: 1, status: 422, body: { message: 'Validation Failed' } });
      await expectApiError(f.client.request(get()), 'validation');
      fake.script({ path: /\/issues$/, times: 1, status: 502 });
      await expectApiError(f.client.request(get()), 'server');
      fake.script({ path: /\/issues$/, times: 1, reset: true });
      await expectApiError(f.client.request(get()), 'network');
      fake.script({
        path: /\/issues$/,
        times: 1,
        status: 403,
        body: { message: 'Resource not accessible by integration' },
      });
      await expectApiError(f.client.request(get()), 'forbidden');
      fake.script({ path: /\/issues$/, times: 1, status: 404 });
      await expectApiError(f.client.request(get()), 'not-found');
      fake.script({ path: /\/issues$/, times: 1, status: 403, headers: { 'retry-after': '30' } });
      const limited = await expectApiError(f.client.request(get()), 'rate-limited');
      assert.equal(limited.details.waitMs, 30_000);
      // The Retry-After now blocks the installation's next request, for every worker, without a call.
      const sent = fake.requests.length;
      const blocked = await expectApiError(f.client.request(get()), 'rate-limited');
      assert.ok(blocked.details.waitMs! > 28_000);
      assert.equal(fake.requests.length, sent);
    });
  });
}

describe('API client: shared across workers', () => {
  let fake: FakeGitHub;
  before(async () => {
    fake = await startFake({ latencyMs: 15 });
    fake.addRepo('octo/two', { id: 2, installation: '22', issues: 10 });
    fake.addRepo('octo/three', { id: 3, installation: '33', issues: 10 });
  });
  after(() => fake.close());

  test('two workers: one token refresh, requests of one installation never overlap', async () => {
    const a = await clientFor(fake);
    const b = await clientFor(fake, { databaseUrl: a.databaseUrl! });
    try {
      const calls = [];
      for (let i = 0; i < 12; i++) {
        const c = i % 2 === 0 ? a : b;
        calls.push(c.client.request(get('22', 'repos/octo/two/issues')));
        calls.push(c.client.request(get('33', 'repos/octo/three/issues')));
      }
      await Promise.all(calls);
      assert.equal(fake.tokensIssued.get('22'), 1);
      assert.equal(fake.tokensIssued.get('33'), 1);
      assert.deepEqual(fake.violations, []);
      for (const cred of ['installation:22', 'installation:33']) {
        const mine = fake.requests.filter((r) => r.credential === cred).sort((x, y) => x.start - y.start);
        for (let i = 1; i < mine.length; i++)
          assert.ok(mine[i].start >= mine[i - 1].end, 'requests overlapped');
      }
      // Two installations did run side by side: serial per installation, not globally.
      const two = fake.requests.filter((r) => r.credential === 'installation:22');
      const three = fake.requests.filter((r) => r.credential === 'installation:33');
      assert.ok(two.some((x) => three.some((y) => y.start < x.end && x.start < y.end)));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('requests waiting for a busy installation hold no connection: other installations go on', async () => {
    const turn22 = turnLockName(PROVIDER, '22');
    let entered = 0;
    const f = await clientFor(fake, {
      wrapLocks: (withLock) => (name, waitMs, fn) => {
        if (name === turn22) entered++;
        return withLock(name, waitMs, fn);
      },
    });
    try {
      await f.client.request(get('22', 'repos/octo/two/issues'));
      await f.client.request(get('33', 'repos/octo/three/issues'));
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // Another "worker" holds installation 22's turn for a while.
      const holder = createLocks(f.store.db)(turn22, 60_000, () => held);
      await waitFor("installation 22's turn to be held", () => advisoryLockHeld(f.store.db, turn22));
      // More waiters than the pool has connections (10).
      const before = entered;
      const waiting = Array.from({ length: 15 }, () => f.client.request(get('22', 'repos/octo/two/issues')));
      await waitFor("every waiter to be waiting for installation 22's turn", () =>
        Promise.resolve(entered - before >= 15),
      );
      const started = Date.now();
      await f.client.request(get('33', 'repos/octo/three/issues'));
      assert.ok(Date.now() - started < 1_000, 'installation 33 was not held up by 22');
      release();
      await holder;
      await Promise.all(waiting);
    } finally {
      await f.close();
    }
  });

  test('a token is refreshed before it expires, not after', async () => {
    let clock = Date.now();
    const f = await clientFor(fake, { now: () => clock, policy: { tokenRefreshMarginMs: 10 * 60_000 } });
    try {
      await f.client.request(get('22', 'repos/octo/two/issues'));
      const issued = fake.tokensIssued.get('22') ?? 0;
      clock += 49 * 60_000; // 11 minutes left: still fresh
      await f.client.request(get('22', 'repos/octo/two/issues'));
      assert.equal(fake.tokensIssued.get('22'), issued);
      clock += 2 * 60_000; // 9 minutes left: inside the margin, refreshed while still valid
      await f.client.request(get('22', 'repos/octo/two/issues'));
      assert.equal(fake.tokensIssued.get('22'), issued + 1);
      assert.equal(fake.requests.filter((r) => r.status === 401).length, 0);
    } finally {
      await f.close();
    }
  });

  test('mutations of one installation are at least the spacing apart', async () => {
    const f = await clientFor(fake);
    try {
      const post = (n: number) =>
        f.client.request({
          method: 'POST',
          url: `repos/octo/two/issues/${n}/labels`,
          route: '/repos/{owner}/{repo}/issues/{n}/labels',
          installation: '22',
          requestId: 'm',
          body: { labels: ['x'] },
        });
      await Promise.all([post(1), post(2), post(3)]);
      const posts = fake.requests
        .filter((r) => r.method === 'POST' && r.credential === 'installation:22')
        .map((r) => r.start)
        .sort();
      for (let i = 1; i < posts.length; i++)
        assert.ok(posts[i] - posts[i - 1] >= 1_000, `${posts[i] - posts[i - 1]} ms apart`);
      assert.deepEqual(fake.violations, []);
    } finally {
      await f.close();
    }
  });

  test('a mutation cancelled while it waits for its turn is not sent', async () => {
    const turn22 = turnLockName(PROVIDER, '22');
    let asked = () => {};
    const f = await clientFor(fake, {
      wrapLocks: (withLock) => (name, waitMs, fn) => {
        if (name === turn22) asked();
        return withLock(name, waitMs, fn);
      },
    });
    try {
      await f.client.request(get('22', 'repos/octo/two/issues')); // the token and the budget, known
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // Another "worker" holds installation 22's turn.
      const holder = createLocks(f.store.db)(turn22, 60_000, () => held);
      await waitFor("installation 22's turn to be held", () => advisoryLockHeld(f.store.db, turn22));
      const waiting = new Promise<void>((r) => (asked = r));
      const since = fake.requests.length;
      const cancel = new AbortController();
      const posting = f.client.request({
        method: 'POST',
        url: 'repos/octo/two/issues/9/labels',
        route: '/repos/{owner}/{repo}/issues/{n}/labels',
        installation: '22',
        requestId: 'cancelled',
        body: { labels: ['x'] },
        signal: cancel.signal,
      });
      await waiting;
      cancel.abort(new Error('cancelled while waiting for the turn'));
      release();
      await holder;
      await assert.rejects(posting, /cancelled while waiting for the turn/);
      assert.equal(fake.requests.slice(since).filter((r) => r.method === 'POST').length, 0, 'not sent');
    } finally {
      await f.close();
    }
  });

  test("a pacing wait is slept outside the installation's turn: another request of it goes meanwhile", async () => {
    let waiting!: () => void;
    const isWaiting = new Promise<void>((r) => (waiting = r));
    let wake!: () => void;
    const woken = new Promise<void>((r) => (wake = r));
    // Every wait is held open until the test wakes it, then slept as asked.
    const f = await clientFor(fake, {
      sleep: async (ms) => {
        waiting();
        await woken;
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    try {
      const post = (n: number) =>
        f.client.request({
          method: 'POST',
          url: `repos/octo/two/issues/${n}/labels`,
          route: '/repos/{owner}/{repo}/issues/{n}/labels',
          installation: '22',
          requestId: 'paced',
          body: { labels: ['y'] },
        });
      const since = fake.requests.length;
      await post(1);
      const second = post(2); // a mutation spacing away from the first
      await isWaiting;
      const read = await f.client.request(get('22', 'repos/octo/two/issues?state=all&per_page=100'));
      assert.equal(read.status, 200);
      const posted = (n: number) =>
        fake.requests
          .slice(since)
          .filter((r) => r.method === 'POST' && r.path === `/repos/octo/two/issues/${n}/labels`);
      assert.equal(posted(2).length, 0, 'the paced mutation is still waiting');
      wake();
      assert.equal((await second).status, 200);
      assert.equal(posted(2).length, 1);
    } finally {
      wake(); // a failed check leaves no wait open
      await f.close();
    }
  });

  test('an abort while a mutation is on the wire waits for its answer; a read on the wire is dropped', async () => {
    const f = await clientFor(fake);
    try {
      const held = (method: string, n: number) => {
        let arrived!: () => void;
        const there = new Promise<void>((r) => (arrived = r));
        let release!: () => void;
        fake.script({
          method,
          path: new RegExp(`^/repos/octo/two/issues/${n}(/labels)?$`),
          times: 1,
          hold: { until: new Promise<void>((r) => (release = r)), arrived },
        });
        return { there, release };
      };
      const post = held('POST', 7);
      const posting = new AbortController();
      const answer = f.client.request({
        method: 'POST',
        url: 'repos/octo/two/issues/7/labels',
        route: '/repos/{owner}/{repo}/issues/{n}/labels',
        installation: '22',
        requestId: 'abort-post',
        body: { labels: ['x'] },
        signal: posting.signal,
      });
      await post.there;
      posting.abort(new Error('the attempt was cancelled'));
      post.release();
      assert.equal((await answer).status, 200, 'the label landed and its answer came back');

      const read = held('GET', 8);
      const reading = new AbortController();
      const dropped = f.client.request({ ...get('22', 'repos/octo/two/issues/8'), signal: reading.signal });
      await read.there;
      reading.abort(new Error('the attempt was cancelled'));
      await assert.rejects(dropped, /the attempt was cancelled/);
      read.release();
    } finally {
      await f.close();
    }
  });

  test('the primary budget is spread before it runs out: no request is refused', async () => {
    const small = await startFake({ limit: 10, windowMs: 2_000 });
    small.addRepo('octo/four', { id: 4, installation: '44', issues: 3 });
    const f = await clientFor(small, { policy: { inlineWaitMs: 3_000 } });
    try {
      for (let i = 0; i < 25; i++) await f.client.request(get('44', 'repos/octo/four/issues'));
      assert.deepEqual(small.violations, []);
      assert.equal(small.requests.filter((r) => r.status === 403).length, 0);
    } finally {
      await f.close();
      await small.close();
    }
  });
});

describe('API client: redirects', () => {
  test('a cross-host redirect never carries the token; a 301 reports where the resource moved', async () => {
    const fake = await startFake();
    const other = await startFake({ host: 'localhost' });
    const f = await clientFor(fake);
    try {
      fake.addRepo('octo/five', { id: 5, installation: '55', issues: 2 });
      other.route('/elsewhere', () => ({ status: 200, body: { ok: true } }));
      fake.route('/to-other-host', () => ({ status: 302, headers: { location: `${other.url}/elsewhere` } }));
      const res = await f.client.request({
        url: '/to-other-host',
        route: '/to-other-host',
        installation: '55',
        requestId: 'r',
      });
      assert.deepEqual(res.data, { ok: true });
      assert.equal(fake.requests.find((r) => r.path === '/to-other-host')?.hadAuthorization, true);
      assert.equal(other.requests.find((r) => r.path === '/elsewhere')?.hadAuthorization, false);

      fake.rename('octo/five', 'octo/renamed');
      const moved = await f.client.request<unknown[]>(get('55', 'repos/octo/five/issues'));
      assert.equal(moved.data.length, 2);
      assert.equal(moved.movedTo, `${fake.url}/repositories/5/issues`);

      // A URL from a payload or a Link header on another host gets no token either.
      const direct = await f.client.request({
        url: `${other.url}/elsewhere`,
        route: '/elsewhere',
        installation: '55',
        requestId: 'r',
      });
      assert.deepEqual(direct.data, { ok: true });
      assert.equal(
        other.requests.filter((r) => r.path === '/elsewhere').every((r) => !r.hadAuthorization),
        true,
      );

      fake.route('/loop', () => ({ status: 302, headers: { location: '/loop' } }));
      await expectApiError(
        f.client.request({ url: '/loop', route: '/loop', installation: '55', requestId: 'r' }),
        'client',
      );
      fake.route('/keep-post', () => ({ status: 307, headers: { location: '/echo' } }));
      fake.route('/echo', (req) => ({ status: 200, body: { method: req.method } }));
      const kept = await f.client.request({
        method: 'POST',
        url: '/keep-post',
        route: '/keep-post',
        installation: '55',
        requestId: 'r',
        body: {},
      });
      assert.deepEqual(kept.data, { method: 'POST' });
    } finally {
      await f.close();
      await fake.close();
      await other.close();
    }
  });
});

describe('API client: logs', () => {
  test('every call is logged with method, route, status, latency and rate-limit headers; no token appears', async () => {
    const fake = await startFake();
    fake.addRepo('octo/logs', { id: 6, installation: '66', issues: 2 });
    const lines: string[] = [];
    const logger = createLogger('info', 'test', { write: (l: string) => void lines.push(l) });
    const f = await clientFor(fake, { logger });
    try {
      await f.client.request(get('66', 'repos/octo/logs/issues'));
      fake.script({ path: /\/issues$/, times: 1, reset: true });
      await expectApiError(f.client.request(get('66', 'repos/octo/logs/issues')), 'network');
      const calls = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const ok = calls.find((c) => c.msg === 'api call' && c.method === 'GET');
      assert.ok(ok, lines.join('\n'));
      assert.equal(ok.method, 'GET');
      assert.equal(ok.route, '/repos/{owner}/{repo}/issues');
      assert.equal(ok.status, 200);
      assert.equal(typeof ok.ms, 'number');
      assert.equal((ok.rateLimit as { limit: number }).limit, 5000);
      assert.ok(calls.some((c) => c.msg === 'api call not made or not answered' && c.error === 'network'));
      const unanswered = calls.find((c) => c.msg === 'api call not made or not answered');
      assert.ok(unanswered, lines.join('\n'));
      // The error itself, whole: what went wrong underneath is in its cause.
      assert.match(String((unanswered.err as { stack?: string }).stack), /caused by: /);
      const { rows } = await f.store.db.query<{ ciphertext: string }>('SELECT ciphertext FROM api_tokens');
      const token = (await f.client.tokens.get('66')) ?? '';
      assert.ok(rows.length === 1 && token.length > 20);
      assert.ok(
        lines.every((l) => !l.includes(token)),
        'no log line holds the token',
      );
    } finally {
      await f.close();
      await fake.close();
    }
  });
});

describe('API client: metrics', () => {
  test('calls by route, method and status class; rate-limit waits; token refreshes', async () => {
    const fake = await startFake();
    fake.addRepo('octo/metrics', { id: 7, installation: '77', issues: 2 });
    fake.addRepo('octo/auth', { id: 8, installation: '78', issues: 1 });
    const metrics = createMetrics('test');
    const f = await clientFor(fake, { metrics });
    try {
      await f.client.request(get('77', 'repos/octo/metrics/issues'));
      await f.client.request(get('77', 'repos/octo/metrics/issues'));
      fake.script({ path: /\/issues$/, times: 1, status: 502 });
      await expectApiError(f.client.request(get('77', 'repos/octo/metrics/issues')), 'server');
      fake.script({ path: /\/issues$/, times: 1, reset: true });
      await expectApiError(f.client.request(get('77', 'repos/octo/metrics/issues')), 'network');
      fake.script({ path: /\/issues$/, times: 1, status: 429, headers: { 'retry-after': '60' } });
      await expectApiError(f.client.request(get('77', 'repos/octo/metrics/issues')), 'rate-limited');
      await expectApiError(f.client.request(get('77', 'repos/octo/metrics/issues')), 'rate-limited'); // blocked, not sent
      // Another installation (77 is blocked now): refused credentials.
      fake.script({ path: /\/pulls$/, times: 2, status: 401, body: { message: 'Bad credentials' } });
      await expectApiError(
        f.client.request(get('78', 'repos/octo/auth/pulls', { route: '/repos/{owner}/{repo}/pulls' })),
        'unauthorized',
      );
      fake.script({ path: /\/pulls$/, times: 1, status: 403, body: { message: 'Resource not accessible' } });
      await expectApiError(
        f.client.request(get('78', 'repos/octo/auth/pulls', { route: '/repos/{owner}/{repo}/pulls' })),
        'forbidden',
      );
      const text = await metrics.render();
      const count = (labels: string) => {
        const m = new RegExp(`^${labels.replace(/[{}]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
        return m ? Number(m[1]) : undefined;
      };
      const route = 'route="/repos/{owner}/{repo}/issues",method="GET"';
      assert.equal(count(`hookflow_api_requests_total{${route},status_class="2xx"}`), 2, text);
      assert.equal(count(`hookflow_api_requests_total{${route},status_class="5xx"}`), 1);
      assert.equal(count(`hookflow_api_requests_total{${route},status_class="network"}`), 1);
      assert.equal(count(`hookflow_api_requests_total{${route},status_class="4xx"}`), 1);
      assert.equal(count('hookflow_api_rate_limit_waits_total{kind="retry-after"}'), 1);
      assert.equal(count('hookflow_api_rate_limit_waits_total{kind="blocked"}'), 1);
      // 77's token, 78's, and 78's refresh after the first 401.
      assert.equal(count('hookflow_token_refreshes_total{result="ok"}'), 3);
      assert.equal(count('hookflow_token_refreshes_total{result="failed"}'), 0);
      // A 401 that a refreshed token cures is no failure; the second one is.
      assert.equal(count('hookflow_api_auth_failures_total{reason="unauthorized"}'), 1);
      assert.equal(count('hookflow_api_auth_failures_total{reason="forbidden"}'), 1);
      const pulls = 'route="/repos/{owner}/{repo}/pulls",method="GET"';
      assert.equal(count(`hookflow_api_requests_total{${pulls},status_class="4xx"}`), 2);
      // The budget as the answers' rate-limit headers gave it.
      assert.equal(count('hookflow_api_rate_limit_limit{installation="77",resource="core"}'), 5000);
      const remaining = count('hookflow_api_rate_limit_remaining{installation="77",resource="core"}');
      assert.ok(remaining !== undefined && remaining < 5000 && remaining > 4900, `remaining ${remaining}`);
    } finally {
      await f.close();
      await fake.close();
      await metrics.shutdown();
    }
  });
});

describe('API client: token issuance refused', () => {
  test("the App's token call is classified as every call is: lost access, or a rate limit that names its limit", async () => {
    const fake = await startFake();
    fake.addRepo('octo/refused', { id: 9, installation: '99', issues: 1 });
    const f = await clientFor(fake);
    try {
      for (const status of [401, 403, 404]) {
        fake.refuseTokens(status);
        const err = await expectApiError(
          f.client.request(get('99', 'repos/octo/refused/issues')),
          'forbidden',
        );
        assert.match(err.message, /installation 99 lost access/);
      }
      fake.refuseTokens(429);
      const limited = await expectApiError(
        f.client.request(get('99', 'repos/octo/refused/issues')),
        'rate-limited',
      );
      assert.equal(limited.details.limit, 'secondary');
      assert.equal(limited.details.waitMs, 200);
      assert.doesNotMatch(limited.message, /undefined/);
      fake.refuseTokens(undefined);
      await f.client.request(get('99', 'repos/octo/refused/issues'));
    } finally {
      await f.close();
      await fake.close();
    }
  });
});
