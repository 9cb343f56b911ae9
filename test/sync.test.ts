// Repository sync jobs on the real Temporal dev server, real PostgreSQL (and PGlite), and the fake
// provider: the backfill, its progress, one job per repository, continue-as-new, 304 re-syncs,
// each error class's outcome, cancellation, a renamed repository.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError, WorkflowFailedError, type Client } from '@temporalio/client';
import { FAILURE } from '../lib/contracts/failure-types';
import { createLogger } from '../lib/logger';
import { countRows } from '../lib/storage/repo-data';
import { getSyncTarget } from '../lib/storage/repo-data';
import { syncArgs, startSyncJob } from '../lib/sync-client';
import type { SyncProgress } from '../lib/contracts/sync-progress';
import { progressQuery } from '../workflows/sync-repository';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, startFake } from './helpers/api';
import { startHookflow, type Harness } from './helpers/harness';
import { waitFor } from './helpers/env';
import { githubDelivery } from './helpers/deliveries';

async function sync(
  h: Harness,
  repository: string,
  installation: string,
  pagesPerRun?: number,
): Promise<SyncProgress> {
  const args = { ...syncArgs(h.config, repository, installation), ...(pagesPerRun ? { pagesPerRun } : {}) };
  const handle = await startSyncJob(h.client, h.taskQueue, args);
  return (await handle.result()) as SyncProgress;
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    let e: unknown = err;
    const chain: string[] = [];
    while (e instanceof Error) {
      chain.push(`${(e as { type?: string }).type ?? e.name}: ${e.message}`);
      e = (e as { cause?: unknown }).cause;
    }
    return chain.join(' <- ');
  }
  assert.fail('the sync should have failed');
}

async function hadTimer(client: Client, workflowId: string): Promise<boolean> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).some((e) => e.timerStartedEventAttributes != null);
}

for (const storage of ['postgres', 'embedded'] as const) {
  describe(`repository backfill (${storage})`, () => {
    let fake: FakeGitHub;
    let h: Harness;
    before(async () => {
      fake = await startFake({ limit: 400, windowMs: 2_000 });
      fake.addRepo('octo/big', { id: 10, installation: '100', issues: 260, pulls: 40, commentsPerIssue: 1 });
      h = await startHookflow({ storage, env: apiEnv(fake) });
    });
    after(async () => {
      await h.close();
      await fake.close();
    });

    test('stores every issue, pull request and comment; an unchanged re-sync is served by 304s', async () => {
      const first = await sync(h, 'octo/big', '100');
      assert.equal(first.phase, 'done');
      assert.deepEqual([first.issues, first.pulls, first.comments], [260, 40, 260]);
      assert.deepEqual(await countRows(h.store.db, 'github', 'octo/big'), {
        repo_issues: 260,
        repo_pull_requests: 40,
        repo_issue_comments: 260,
      });
      assert.deepEqual(fake.violations, []);
      assert.equal(fake.tokensIssued.get('100'), 1);
      const spent = fake.requests.filter(
        (r) => r.status === 200 && r.credential === 'installation:100',
      ).length;

      const before = fake.requests.length;
      const again = await sync(h, 'octo/big', '100');
      const second = fake.requests.slice(before).filter((r) => r.credential === 'installation:100');
      assert.equal(again.notModified, again.pages);
      assert.ok(
        second.length > 0 && second.every((r) => r.status === 304),
        'every re-sync request was a 304',
      );
      assert.ok(second.length <= spent, `${second.length} requests, all free, against ${spent}`);
      assert.deepEqual([again.issues, again.pulls, again.comments], [260, 40, 260]);

      // Rows lost after their page was cached (a crash between the two) come back from the cache.
      await h.store.db.query(`DELETE FROM repo_issues WHERE repository = 'octo/big' AND number % 2 = 0`);
      await sync(h, 'octo/big', '100');
      assert.equal((await countRows(h.store.db, 'github', 'octo/big')).repo_issues, 260);
    });
  });
}

describe('sync jobs: lifecycle and error classes', () => {
  let fake: FakeGitHub;
  let h: Harness;
  /** The worker's warnings and errors, as JSON lines. */
  const logLines: string[] = [];
  const warningsNaming = (origin: string) =>
    logLines
      .map((l) => JSON.parse(l) as { level: number; origin?: string; apiOrigin?: string })
      .filter((l) => l.level === 40 && l.origin === origin);
  before(async () => {
    fake = await startFake({ latencyMs: 5 });
    h = await startHookflow({
      logger: createLogger('warn', 'test', { write: (line: string) => void logLines.push(line) }),
      env: apiEnv(fake, { HOOKFLOW_RETRY_WAIT_MS: '300' }),
    });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  test('continue-as-new keeps the history bounded and loses nothing; a second start attaches', async () => {
    fake.addRepo('octo/can', { id: 20, installation: '200', issues: 450, commentsPerIssue: 0 });
    const args = { ...syncArgs(h.config, 'octo/can', '200'), pagesPerRun: 2, pagesPerActivity: 2 };
    const first = await startSyncJob(h.client, h.taskQueue, args);
    const second = await startSyncJob(h.client, h.taskQueue, args);
    assert.equal(
      second.firstExecutionRunId,
      first.firstExecutionRunId,
      'the second start attached to the first',
    );
    const progress = await first.query(progressQuery);
    assert.equal(progress.repository, 'octo/can');
    const done = (await first.result()) as SyncProgress;
    assert.equal(done.issues, 450);
    assert.ok(done.runs >= 3, `${done.runs} runs`);
    assert.equal((await countRows(h.store.db, 'github', 'octo/can')).repo_issues, 450);
    const pages = fake.requests.filter((r) => r.path === '/repos/octo/can/issues');
    assert.equal(new Set(pages.map((r) => r.url)).size, pages.length, 'no page fetched twice');
  });

  test('5xx bursts are retried with backoff; a lasting 5xx fails the job visibly after 5 attempts', async () => {
    fake.addRepo('octo/flaky', { id: 30, installation: '300', issues: 5 });
    fake.script({ path: /^\/repos\/octo\/flaky\/pulls$/, times: 3, status: 502 });
    fake.script({ path: /^\/repos\/octo\/flaky\/issues\/comments$/, times: 1, reset: true });
    const ok = await sync(h, 'octo/flaky', '300');
    assert.equal(ok.retries, 4);
    assert.equal(ok.issues, 5);

    // Rate-limit retries in between do not use up the four 5xx retries.
    fake.addRepo('octo/mixed', { id: 32, installation: '300', issues: 5 });
    fake.script({
      path: /^\/repos\/octo\/mixed\/pulls$/,
      times: 3,
      status: 403,
      headers: { 'retry-after': '0' },
    });
    fake.script({ path: /^\/repos\/octo\/mixed\/pulls$/, times: 4, status: 503 });
    const mixed = await sync(h, 'octo/mixed', '300');
    assert.equal(mixed.retries, 7);

    fake.addRepo('octo/down', { id: 31, installation: '300', issues: 5 });
    fake.script({ path: /^\/repos\/octo\/down\/pulls$/, times: 5, status: 500 });
    const failure = await failureOf(sync(h, 'octo/down', '300'));
    assert.ok(
      failure.includes(`${FAILURE.server}: GitHub answered 500 to GET /repos/{owner}/{repo}/pulls`),
      failure,
    );
    assert.equal(fake.requests.filter((r) => r.path === '/repos/octo/down/pulls').length, 5);
  });

  test('a validation error stops the job at once, without retries', async () => {
    fake.addRepo('octo/invalid', { id: 40, installation: '400', issues: 5 });
    fake.script({
      path: /^\/repos\/octo\/invalid\/pulls$/,
      times: 3,
      status: 422,
      body: { message: 'Validation Failed' },
    });
    const failure = await failureOf(sync(h, 'octo/invalid', '400'));
    assert.ok(failure.includes(`${FAILURE.validation}: GitHub answered 422`), failure);
    assert.equal(fake.requests.filter((r) => r.path === '/repos/octo/invalid/pulls').length, 1);
  });

  test('rate limits wait, short ones as a retry delay and long ones as a workflow timer, then complete', async () => {
    fake.addRepo('octo/limited', { id: 50, installation: '500', issues: 5 });
    fake.script({
      path: /^\/repos\/octo\/limited\/pulls$/,
      times: 1,
      status: 403,
      headers: { 'retry-after': '0' },
    });
    fake.script({
      path: /^\/repos\/octo\/limited\/issues\/comments$/,
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
    });
    const done = await sync(h, 'octo/limited', '500');
    assert.equal(done.issues, 5);
    assert.ok(done.rateLimitWaits >= 1);
    const wid = 'sync:github:octo/limited';
    assert.ok(await hadTimer(h.client, wid), 'the 1 s Retry-After (over the 300 ms retry limit) was a timer');
    const comments = fake.requests.filter((r) => r.path === '/repos/octo/limited/issues/comments');
    assert.ok(comments[1].start - comments[0].start >= 1_000, 'Retry-After obeyed');
  });

  test('a second refused token says which installation lost access', async () => {
    fake.addRepo('octo/revoked', { id: 60, installation: '600', issues: 5 });
    fake.script({
      path: /^\/repos\/octo\/revoked$/,
      times: 2,
      status: 401,
      body: { message: 'Bad credentials' },
    });
    const failure = await failureOf(sync(h, 'octo/revoked', '600'));
    assert.ok(failure.includes(`${FAILURE.accessLost}: installation 600 lost access`), failure);
    assert.equal(fake.tokensIssued.get('600'), 2, 'one refresh after the first 401');
  });

  test('a renamed repository is followed through its 301, and its stored URL updated', async () => {
    fake.addRepo('octo/old-name', { id: 70, installation: '700', issues: 3 });
    await sync(h, 'octo/old-name', '700');
    fake.rename('octo/old-name', 'octo/new-name');
    const done = await sync(h, 'octo/old-name', '700');
    assert.equal(done.issues, 3);
    const target = await getSyncTarget(h.store.db, 'github', 'octo/old-name');
    assert.equal(target?.apiUrl, `${fake.url}/repos/octo/new-name`);
  });

  test('a target stored under an earlier GITHUB_API_URL is not followed: the sync goes to the configured API', async () => {
    // hookflow once called another API: a fake that is gone now, so its port refuses connections.
    const earlier = await startFake();
    earlier.addRepo('octo/relocated', { id: 75, installation: '750', issues: 3 });
    const then = await startHookflow({ env: { ...apiEnv(earlier), DATABASE_URL: h.config.databaseUrl! } });
    try {
      await sync(then, 'octo/relocated', '750');
    } finally {
      await then.close();
      await earlier.close();
    }
    const stored = await getSyncTarget(h.store.db, 'github', 'octo/relocated');
    assert.equal(stored?.apiUrl, `${earlier.url}/repos/octo/relocated`);

    fake.addRepo('octo/relocated', { id: 75, installation: '750', issues: 3 });
    const done = await sync(h, 'octo/relocated', '750');
    assert.equal(done.issues, 3);
    const target = await getSyncTarget(h.store.db, 'github', 'octo/relocated');
    assert.equal(target?.apiUrl, `${fake.url}/repos/octo/relocated`);
    assert.ok(
      warningsNaming(new URL(earlier.url).origin).some((l) => l.apiOrigin === new URL(fake.url).origin),
      'a warning names both origins',
    );
  });

  test("a repository URL on another origin in the API's answer (a proxy relaying GitHub.com's) is not followed", async () => {
    fake.addRepo('octo/proxied', { id: 76, installation: '760', issues: 3 });
    fake.script({
      path: /^\/repos\/octo\/proxied$/,
      times: 1,
      status: 200,
      body: { id: 76, full_name: 'octo/proxied', url: 'https://api.github.com/repos/octo/proxied' },
    });
    const done = await sync(h, 'octo/proxied', '760');
    assert.equal(done.issues, 3);
    const target = await getSyncTarget(h.store.db, 'github', 'octo/proxied');
    assert.equal(target?.apiUrl, `${fake.url}/repos/octo/proxied`);
    assert.ok(
      warningsNaming('https://api.github.com').some((l) => l.apiOrigin === new URL(fake.url).origin),
      'a warning names both origins',
    );
  });

  test('a sync can be cancelled', async () => {
    fake.addRepo('octo/cancel', { id: 80, installation: '800', issues: 3000 });
    const handle = await startSyncJob(h.client, h.taskQueue, syncArgs(h.config, 'octo/cancel', '800'));
    await waitFor(
      'a page or two',
      async () => ((await handle.query(progressQuery).catch(() => undefined))?.pages ?? 0) >= 2,
      30_000,
      50,
    );
    await handle.cancel();
    const failure = await failureOf(handle.result());
    assert.match(failure, /cancel/i);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
  });
});

describe('reconciliation schedule', () => {
  test('a finished sync keeps a schedule that re-syncs the repository, cheaply, through the one job', async () => {
    const fake = await startFake();
    fake.addRepo('octo/scheduled', { id: 95, installation: '950', issues: 120 });
    const h = await startHookflow({ env: apiEnv(fake, { HOOKFLOW_RESYNC_INTERVAL_MINUTES: '720' }) });
    try {
      await sync(h, 'octo/scheduled', '950');
      const schedule = h.client.schedule.getHandle('resync:github:octo/scheduled');
      const described = await schedule.describe();
      assert.equal(described.action.type, 'startWorkflow');
      assert.equal(described.action.workflowType, 'reconcileRepository');
      const before = fake.requests.length;
      await schedule.trigger();
      await waitFor('the scheduled re-sync', async () => {
        const runs = await h.client.workflow.getHandle('sync:github:octo/scheduled').describe();
        return (
          runs.runId !== undefined && runs.status.name === 'COMPLETED' && fake.requests.length > before + 2
        );
      });
      const again = fake.requests.slice(before).filter((r) => r.credential === 'installation:950');
      assert.ok(again.length > 0 && again.every((r) => r.status === 304), 'the re-sync cost no quota');

      // A changed interval reaches the existing schedule at the next finished sync.
      const other = await startHookflow({ env: apiEnv(fake, { HOOKFLOW_RESYNC_INTERVAL_MINUTES: '60' }) });
      try {
        await sync(other, 'octo/scheduled', '950');
      } finally {
        await other.close();
      }
      const every = (await schedule.describe()).spec.intervals?.[0]?.every;
      assert.equal(every, 60 * 60_000);

      // Uninstall: the schedule stops, and the synced data, token, budget and cache go.
      await h.store.registerInstallation(
        { provider: 'github', installationId: '950', source: 'github', account: 'octo' },
        [],
      );
      const answer = await h.post(
        githubDelivery({
          event: 'installation',
          payload: { action: 'deleted', installation: { id: 950, account: { login: 'octo' } } },
        }),
      );
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      await h.waitForOutcome(String(answer.body.workflowId), 'completed');
      await assert.rejects(schedule.describe(), ScheduleNotFoundError);
      assert.deepEqual(await countRows(h.store.db, 'github', 'octo/scheduled'), {
        repo_issues: 0,
        repo_pull_requests: 0,
        repo_issue_comments: 0,
      });
      for (const table of ['api_tokens', 'api_budgets', 'api_cache', 'sync_repositories']) {
        const { rows } = await h.store.db.query(`SELECT 1 FROM ${table} WHERE installation_id = '950'`);
        assert.equal(rows.length, 0, `${table} emptied`);
      }
    } finally {
      await h.close();
      await fake.close();
    }
  });
});
