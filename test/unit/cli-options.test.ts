// The CLI's option values: each bad one refused with the reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  parseDuration,
  parseEvents,
  parseHookId,
  parseTarget,
  parseUrl,
  parseInstallation,
  parseLimit,
  parseName,
  parseReplayJob,
  parsePastTime,
  parseRepository,
  parseRps,
  parseStatus,
  parseTime,
} from '../../cli/options';
import { newReplayJobId } from '../../lib/replay-job-client';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('CLI option values', () => {
  test('times: a duration back from now, or an ISO time', () => {
    const at = (v: string) => parseTime(v, () => NOW).toISOString();
    assert.equal(at('30m'), '2026-12-01T11:30:00.000Z');
    assert.equal(at('24h'), '2026-11-30T12:00:00.000Z');
    assert.equal(at('3d'), '2026-11-28T12:00:00.000Z');
    assert.equal(at('2w'), '2026-11-17T12:00:00.000Z');
    assert.equal(at('90s'), '2026-12-01T11:58:30.000Z');
    assert.equal(at('2026-11-30T08:00:00Z'), '2026-11-30T08:00:00.000Z');
    assert.equal(at('2026-11-30'), '2026-11-30T00:00:00.000Z');
    for (const bad of ['yesterday', '24', 'h', '-3d', '2026-13-45', '1y', ''])
      assert.throws(() => parseTime(bad, () => NOW), InvalidArgumentError, bad);
  });

  test('limits, statuses, installations, repositories, names', () => {
    assert.equal(parseLimit('25'), 25);
    for (const bad of ['0', '-1', '1.5', 'ten', '1000000'])
      assert.throws(() => parseLimit(bad), InvalidArgumentError);
    assert.equal(parseStatus('failed'), 'failed');
    assert.throws(
      () => parseStatus('lost'),
      /expected one of: received, accepted, queued, ignored, completed, failed/,
    );
    assert.equal(parseInstallation('12345'), '12345');
    assert.throws(() => parseInstallation('abc'), InvalidArgumentError);
    assert.equal(parseRepository('octo-org/api'), 'octo-org/api');
    assert.throws(() => parseRepository('not a repo'), /not a repository name: not a repo/);
    assert.equal(parseName('pull_request'), 'pull_request');
    assert.throws(() => parseName('Issues; DROP'), InvalidArgumentError);
  });

  test('replay rates, durations and job IDs', () => {
    assert.equal(parseRps('5'), 5);
    assert.equal(parseRps('0.5'), 0.5);
    assert.equal(parseRps('100'), 100);
    for (const bad of ['0', '0.05', '101', '-1', 'fast', '1e2', ''])
      assert.throws(() => parseRps(bad), /from 0.1 to 100/, bad);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    for (const bad of ['0m', '10', 'm', '1w', '1.5h'])
      assert.throws(() => parseDuration(bad), InvalidArgumentError, bad);
    const job = newReplayJobId(new Date('2026-12-01T17:42:12.345Z'));
    assert.match(job, /^20261201-174212-[0-9a-f]{6}$/);
    assert.equal(parseReplayJob(job), job);
    assert.equal(parseReplayJob(`replay:${job}`), job);
    for (const bad of ['', 'replay:', 'a b', '../x', 'x'.repeat(101)])
      assert.throws(() => parseReplayJob(bad), InvalidArgumentError, bad);
  });

  test('a pass starts in the past (reconcile --since)', () => {
    assert.equal(parsePastTime('3d', () => NOW).toISOString(), '2026-11-28T12:00:00.000Z');
    assert.equal(parsePastTime('2026-11-30T08:00:00Z', () => NOW).toISOString(), '2026-11-30T08:00:00.000Z');
    assert.throws(() => parsePastTime('2026-12-02T00:00:00Z', () => NOW), /expected a time in the past/);
    assert.throws(() => parsePastTime('soon', () => NOW), InvalidArgumentError);
  });
});

describe('hooks options', () => {
  test('a target is owner/repo or org:<login>', () => {
    assert.deepEqual(parseTarget('octo/api'), { scope: 'repository', name: 'octo/api' });
    assert.deepEqual(parseTarget('org:octo-org'), { scope: 'organization', name: 'octo-org' });
    assert.throws(() => parseTarget('org:-bad'), /not an organization login/);
    assert.throws(() => parseTarget('octo'), /expected <owner>\/<repo> or org:<login>/);
    assert.throws(() => parseTarget('a/b/c'), InvalidArgumentError);
  });

  test('events: names separated by commas, deduplicated, or *', () => {
    assert.deepEqual(parseEvents('issues, pull_request,issues'), ['issues', 'pull_request']);
    assert.deepEqual(parseEvents('*'), ['*']);
    for (const bad of ['', 'Issues', 'issues,', 'a b', 'issues;rm'])
      assert.throws(() => parseEvents(bad), /expected event names/, bad);
  });

  test('hook IDs are numbers; URLs are absolute http(s) with no credentials', () => {
    assert.equal(parseHookId('12345'), '12345');
    for (const bad of ['0', '-1', '1e5', 'abc', '1'.repeat(21)])
      assert.throws(() => parseHookId(bad), InvalidArgumentError, bad);
    assert.equal(
      parseUrl('https://hooks.example.com/api/github/webhooks'),
      'https://hooks.example.com/api/github/webhooks',
    );
    assert.throws(() => parseUrl('/relative'), /absolute URL/);
    assert.throws(() => parseUrl('ftp://x.example'), /http or https/);
    assert.throws(() => parseUrl('https://user:pw@x.example/'), /user name or password/);
  });
});
