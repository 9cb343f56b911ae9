// Reconciliation's pure parts: reading GitHub's log items, grouping attempts by GUID, the verdict on
// each GUID, where paging stops, which hooks are listed, and the sources file's hook places.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  attemptToRedeliver,
  groupByGuid,
  listBelow,
  loggedAttempt,
  verdictOf,
  WINDOW_MARGIN_MS,
  type LoggedAttempt,
} from '../../activities/reconcile/classify-deliveries';
import { reconcileScheduleId } from '../../activities/reconcile/schedule';
import { reconcileSourcesOf } from '../../activities/reconcile/sources';
import { ConfigError, loadConfig } from '../../lib/config';
import { REDELIVERY_WINDOW_MS } from '../../lib/contracts/reconcile';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const HOUR = 3_600_000;
const at = (msAgo: number, ok: boolean, id = 1, guid = 'g-1'): LoggedAttempt => ({
  id: String(id),
  guid,
  deliveredAt: NOW - msAgo,
  ok,
});
const verdict = (attempts: LoggedAttempt[], known: Partial<Parameters<typeof verdictOf>[1]> = {}) =>
  verdictOf(attempts, { outcome: undefined, asked: undefined, ...known }, NOW, REDELIVERY_WINDOW_MS);

describe('log items', () => {
  test('an item is read with its id, GUID, time and whether it was delivered', () => {
    const item = {
      id: 12345678,
      guid: '0b989ba4-242f-11e5-81e1-c7b6966d2516',
      delivered_at: '2026-12-01T11:00:00Z',
      redelivery: false,
      status: 'OK',
      status_code: 200,
      event: 'issues',
    };
    assert.deepEqual(loggedAttempt(item), {
      id: '12345678',
      guid: item.guid,
      deliveredAt: Date.parse(item.delivered_at),
      ok: true,
    });
    assert.equal(
      loggedAttempt({ ...item, status: 'Invalid HTTP Response: 503', status_code: 503 })?.ok,
      false,
    );
    assert.equal(loggedAttempt({ ...item, status: 'failed to connect to host', status_code: 0 })?.ok, false);
    // Worded otherwise, a 2xx is still delivered: a resend must never come from a wording.
    assert.equal(loggedAttempt({ ...item, status: 'Accepted', status_code: 202 })?.ok, true);
    for (const bad of [
      null,
      'x',
      { ...item, id: undefined },
      { ...item, id: '12; DROP' },
      { ...item, guid: 'a b' },
      { ...item, delivered_at: 'yesterday' },
    ])
      assert.equal(loggedAttempt(bad), undefined, JSON.stringify(bad));
  });

  test('attempts are grouped by GUID, and the newest failed one is asked for', () => {
    const groups = groupByGuid([at(1, false, 3, 'a'), at(2, false, 2, 'b'), at(3, false, 1, 'a')]);
    assert.deepEqual([...groups.keys()], ['a', 'b']);
    assert.deepEqual(
      groups.get('a')!.map((a) => a.id),
      ['3', '1'],
    );
    assert.equal(attemptToRedeliver(groups.get('a')!).id, '3');
  });

  test('paging stops at the page that reaches below the floor', () => {
    assert.equal(listBelow([at(HOUR, false), at(2 * HOUR, false)], NOW - 3 * HOUR), false);
    assert.equal(listBelow([at(HOUR, false), at(4 * HOUR, false)], NOW - 3 * HOUR), true);
    assert.equal(listBelow([], NOW), false);
  });
});

describe('the verdict on a GUID', () => {
  test('never recorded and never delivered OK: missed, asked for', () => {
    assert.equal(verdict([at(HOUR, false)]), 'missed');
    assert.equal(verdict([at(HOUR, false, 2), at(2 * HOUR, false, 1)]), 'missed');
  });

  test('any attempt delivered OK: done, whatever failed before', () => {
    assert.equal(verdict([at(HOUR, true, 2), at(2 * HOUR, false, 1)]), 'done');
    assert.equal(verdict([at(HOUR, true)], { outcome: 'completed' }), 'done');
  });

  test('recorded by hookflow but its run failed (or is dead): failed in hookflow, GitHub OK or not', () => {
    assert.equal(verdict([at(HOUR, true)], { outcome: 'failed' }), 'failed-in-hookflow');
    assert.equal(verdict([at(HOUR, false)], { outcome: 'dead' }), 'failed-in-hookflow');
  });

  test('GitHub marks it failed but hookflow has it (a slow answer): answered late, not asked', () => {
    assert.equal(verdict([at(HOUR, false)], { outcome: 'completed' }), 'answered-late');
    assert.equal(verdict([at(HOUR, false)], { outcome: 'accepted' }), 'answered-late');
  });

  test('asked for before and still not delivered: still failing, never asked twice', () => {
    for (const asked of ['sent', 'refused', 'unconfirmed'] as const)
      assert.equal(verdict([at(HOUR, false)], { asked }), 'still-failing');
    assert.equal(verdict([at(HOUR, true)], { asked: 'sent' }), 'done');
  });

  test('being asked for by another pass right now: in flight, not yet still failing', () => {
    assert.equal(verdict([at(HOUR, false)], { asked: 'sending' }), 'in-flight');
    assert.equal(verdict([at(HOUR, true)], { asked: 'sending' }), 'done');
  });

  test('recorded as past the window by an earlier pass: unrecoverable still', () => {
    assert.equal(verdict([at(4 * 24 * HOUR, false)], { asked: 'expired' }), 'unrecoverable');
  });

  test("past GitHub's 3-day window (less a margin): unrecoverable, not asked", () => {
    assert.equal(verdict([at(4 * 24 * HOUR, false)]), 'unrecoverable');
    assert.equal(verdict([at(REDELIVERY_WINDOW_MS - WINDOW_MARGIN_MS + 1_000, false)]), 'unrecoverable');
    assert.equal(verdict([at(REDELIVERY_WINDOW_MS - WINDOW_MARGIN_MS - 1_000, false)]), 'missed');
    // The original's age counts, not the latest attempt's.
    assert.equal(verdict([at(HOUR, false, 2), at(4 * 24 * HOUR, false, 1)]), 'unrecoverable');
  });
});

describe('reconciled hooks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-reconcile-'));
  const sourcesFile = (content: unknown) => {
    const file = path.join(dir, `${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };
  const hooks = [
    { hookId: '11', secrets: ['a'], repository: 'octo-org/api' },
    { hookId: '12', secrets: ['b'], organization: 'octo-org' },
    { hookId: '13', secrets: ['c'] },
  ];

  test("the App's hook in App mode; hooks placed on a repository or organization with a token", () => {
    const app = loadConfig({
      APP_ID: '1',
      PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
    });
    assert.deepEqual(
      reconcileSourcesOf(app).map((s) => [s.key, s.deliveriesPath, s.asApp, s.ledgerSource]),
      [['app', 'app/hook/deliveries', true, 'github']],
    );
    const token = loadConfig({ GITHUB_TOKEN: 'ghp_x', HOOKFLOW_SOURCES_FILE: sourcesFile({ hooks }) });
    assert.deepEqual(
      reconcileSourcesOf(token).map((s) => [s.key, s.deliveriesPath, s.route, s.asApp, s.ledgerSource]),
      [
        [
          'hook:11',
          'repos/octo-org/api/hooks/11/deliveries',
          '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries',
          false,
          'github:hook:11',
        ],
        [
          'hook:12',
          'orgs/octo-org/hooks/12/deliveries',
          '/orgs/{org}/hooks/{hook_id}/deliveries',
          false,
          'github:hook:12',
        ],
      ],
    );
    assert.deepEqual(reconcileSourcesOf(loadConfig({})), []);
  });

  test('a hook place is checked, and needs GITHUB_TOKEN', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems.join('\n');
      }
    };
    const bad = problems({
      GITHUB_TOKEN: 'ghp_x',
      HOOKFLOW_SOURCES_FILE: sourcesFile({
        hooks: [
          { hookId: '1', secrets: ['a'], repository: 'not a repo' },
          { hookId: '2', secrets: ['a'], organization: 'bad/org' },
          { hookId: '3', secrets: ['a'], repository: 'o/r', organization: 'o' },
          { hookId: '4', secrets: ['a'], repo: 'o/r' },
        ],
      }),
    });
    assert.match(
      bad,
      /hooks\.0\.repository: must be the repository the hook is configured on, as owner\/repo/,
    );
    assert.match(bad, /hooks\.1\.organization: must be the organization the hook is configured on/);
    assert.match(bad, /hooks\.2: a hook is configured on a repository or on an organization/);
    assert.match(bad, /hooks\.3: .*repo/);
    assert.match(
      problems({ HOOKFLOW_SOURCES_FILE: sourcesFile({ hooks: [hooks[0]] }) }),
      /hooks\.0\.repository: listing hook 11's deliveries needs GITHUB_TOKEN/,
    );
  });

  test('HOOKFLOW_RECONCILE_INTERVAL_MINUTES: 60 by default, 0 turns it off, at most two days', () => {
    assert.equal(loadConfig({}).api.reconcileIntervalMinutes, 60);
    assert.equal(loadConfig({ HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0' }).api.reconcileIntervalMinutes, 0);
    assert.equal(
      loadConfig({ HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '2880' }).api.reconcileIntervalMinutes,
      2880,
    );
    for (const bad of ['2881', '-5', '1.5', 'hourly'])
      assert.throws(
        () => loadConfig({ HOOKFLOW_RECONCILE_INTERVAL_MINUTES: bad }),
        /HOOKFLOW_RECONCILE_INTERVAL_MINUTES: must be/,
        bad,
      );
  });

  test('HOOKFLOW_RECONCILE_REPLAY_FAILED: off by default, a boolean', () => {
    assert.equal(loadConfig({}).api.reconcileReplayFailed, false);
    assert.equal(loadConfig({ HOOKFLOW_RECONCILE_REPLAY_FAILED: 'true' }).api.reconcileReplayFailed, true);
    assert.equal(loadConfig({ HOOKFLOW_RECONCILE_REPLAY_FAILED: '0' }).api.reconcileReplayFailed, false);
    assert.throws(
      () => loadConfig({ HOOKFLOW_RECONCILE_REPLAY_FAILED: 'sometimes' }),
      /HOOKFLOW_RECONCILE_REPLAY_FAILED: must be true or false/,
    );
  });

  test('one schedule per task queue; the default queue keeps the plain name', () => {
    assert.equal(reconcileScheduleId('hookflow'), 'hookflow-reconcile-deliveries');
    assert.equal(reconcileScheduleId('tq-1'), 'hookflow-reconcile-deliveries:tq-1');
  });
});
