// The allow-list's parts with no services: address ranges as configured and as GitHub lists them,
// and whose address a request is (the peer, or what a trusted proxy forwarded for).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../lib/config';
import { parseRange, rangeList } from '../../lib/net';
import { createLogger } from '../../lib/logger';
import type { Queryable } from '../../lib/storage/db';
import { clientAddress, metaAllowList } from '../../server/ip-allowlist';
import { waitFor } from '../helpers/env';

describe('address ranges', () => {
  test('CIDR ranges and single addresses, IPv4 and IPv6; anything else is no range', () => {
    assert.deepEqual(parseRange('192.30.252.0/22'), { address: '192.30.252.0', prefix: 22, family: 'ipv4' });
    assert.deepEqual(parseRange(' 2a0a:a440::/29 '), { address: '2a0a:a440::', prefix: 29, family: 'ipv6' });
    assert.deepEqual(parseRange('203.0.113.7'), { address: '203.0.113.7', prefix: 32, family: 'ipv4' });
    for (const bad of [
      '',
      'github',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/-1',
      '10.0.0.0/8/1',
      '10.0.0.0/x',
      '10.0.0.256',
    ])
      assert.equal(parseRange(bad), undefined, bad);
    const { list, invalid } = rangeList(['10.0.0.0/8', 'nope']);
    assert.deepEqual(invalid, ['nope']);
    assert.equal(list.check('10.2.3.4', 'ipv4'), true);
  });

  test('HOOKFLOW_TRUSTED_PROXIES is checked at start, naming the bad entries', () => {
    assert.deepEqual(loadConfig({ HOOKFLOW_TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies, [
      '10.0.0.0/8',
      '::1',
    ]);
    assert.deepEqual(loadConfig({}).trustedProxies, []);
    for (const wide of ['0.0.0.0/0', '::/0', '::ffff:0:0/96', '10.0.0.0/7'])
      assert.throws(
        () => loadConfig({ HOOKFLOW_TRUSTED_PROXIES: wide }),
        (err) =>
          err instanceof ConfigError && err.problems.some((p) => p.includes(`too wide to trust: ${wide}`)),
        wide,
      );
    assert.equal(loadConfig({}).ipAllowList.mode, 'off');
    assert.throws(
      () =>
        loadConfig({ HOOKFLOW_TRUSTED_PROXIES: '10.0.0.0/8,proxy.local', HOOKFLOW_IP_ALLOWLIST: 'github' }),
      (err) =>
        err instanceof ConfigError &&
        err.problems.some(
          (p) =>
            p.includes('HOOKFLOW_TRUSTED_PROXIES') && p.includes('not an address or CIDR range: proxy.local'),
        ) &&
        err.problems.some((p) => p.includes('HOOKFLOW_IP_ALLOWLIST')),
    );
  });
});

describe("a request's address", () => {
  const trusted = rangeList(['10.0.0.0/8', '::1']).list;

  test('without trusted proxies, or from a peer that is not one, the peer (its header ignored)', () => {
    assert.deepEqual(clientAddress('203.0.113.7', '192.30.252.1', undefined), { address: '203.0.113.7' });
    assert.deepEqual(clientAddress('203.0.113.7', '192.30.252.1', trusted), { address: '203.0.113.7' });
    assert.deepEqual(clientAddress(undefined, undefined, trusted), { address: '' });
  });

  test('from a trusted proxy, the nearest untrusted address it names, read from the right', () => {
    assert.deepEqual(clientAddress('10.0.0.5', '192.30.252.1', trusted), { address: '192.30.252.1' });
    assert.deepEqual(clientAddress('10.0.0.5', '6.6.6.6, 192.30.252.1, 10.0.0.9', trusted), {
      address: '192.30.252.1',
    });
    assert.deepEqual(clientAddress('::ffff:10.0.0.5', '2a0a:a440::1', trusted), { address: '2a0a:a440::1' });
    // Every hop a proxy: the farthest one.
    assert.deepEqual(clientAddress('10.0.0.5', '10.0.0.7, ::1', trusted), { address: '10.0.0.7' });
    // No header: the proxy itself.
    assert.deepEqual(clientAddress('10.0.0.5', undefined, trusted), { address: '10.0.0.5' });
    // A hop that is not an address stops the walk: nothing beyond it can be trusted.
    assert.deepEqual(clientAddress('10.0.0.5', '192.30.252.1, 1.2.3.4:80', trusted), {
      malformed: '1.2.3.4:80',
    });
    // Past the first untrusted hop, junk does not matter: that hop is the sender.
    assert.deepEqual(clientAddress('10.0.0.5', 'junk, 192.30.252.1', trusted), { address: '192.30.252.1' });
  });
});

/** ip_allowlists in memory: the one row, and how many times each statement ran. */
function memoryTable(row?: { ranges: unknown; fetched_at: string }) {
  const t = { row, reads: 0, writes: 0, failWrites: false };
  const db: Queryable = {
    query<T extends object>(sql: string, params: unknown[] = []) {
      if (sql.trimStart().startsWith('SELECT')) {
        t.reads++;
        return Promise.resolve({ rows: (t.row ? [t.row] : []) as T[] });
      }
      t.writes++;
      if (t.failWrites) return Promise.reject(new Error('storage is away'));
      t.row = { ranges: JSON.parse(params[1] as string) as unknown, fetched_at: params[2] as string };
      return Promise.resolve({ rows: [] as T[] });
    },
  };
  return { t, db };
}

describe("the allow-list's refreshes", () => {
  const HOUR = 3_600_000;
  const start = Date.parse('2026-12-01T12:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const logger = createLogger('silent');
  const lists: ReturnType<typeof metaAllowList>[] = [];
  const make = (db: Queryable, fetchRanges: () => Promise<string[]>, now = () => start) => {
    const list = metaAllowList({
      db,
      fetchRanges,
      refreshMs: HOUR,
      retryMs: 5,
      trustedProxies: undefined,
      logger,
      now,
    });
    lists.push(list);
    return list;
  };
  const allowed = (list: ReturnType<typeof metaAllowList>, address: string) =>
    list.refusal(address, undefined)?.reason ?? 'allowed';
  test.afterEach(async () => {
    await Promise.all(lists.splice(0).map((l) => l.close()));
  });

  test('a fresh list in storage is used at once and GitHub is not asked', async () => {
    const { db } = memoryTable({ ranges: ['192.30.252.0/22'], fetched_at: iso(start - HOUR / 2) });
    let asked = 0;
    const list = make(db, () => {
      asked++;
      return Promise.resolve(['10.0.0.0/8']);
    });
    await list.loaded;
    assert.equal(allowed(list, '192.30.252.9'), 'allowed');
    assert.equal(allowed(list, '10.0.0.1'), 'not-allowed');
    assert.equal(asked, 0);
  });

  test('a stale list is used at once while GitHub is asked; GitHub failing keeps it', async () => {
    const { t, db } = memoryTable({ ranges: ['192.30.252.0/22'], fetched_at: iso(start - 2 * HOUR) });
    let asked = 0;
    const list = make(db, () => {
      asked++;
      return Promise.reject(new Error('GitHub is away'));
    });
    await list.loaded;
    assert.equal(allowed(list, '192.30.252.9'), 'allowed', 'the start does not wait for GitHub');
    await waitFor('two failed refreshes', () => Promise.resolve(asked >= 2));
    assert.equal(allowed(list, '192.30.252.9'), 'allowed');
    assert.equal(allowed(list, '10.0.0.1'), 'not-allowed', 'kept, not opened up');
    assert.equal(t.writes, 0);
  });

  test('a list dated in the future (a wrong clock) is refreshed; an unusable one is no list', async () => {
    const future = memoryTable({ ranges: ['192.30.252.0/22'], fetched_at: iso(start + HOUR) });
    const list = make(future.db, () => Promise.resolve(['10.0.0.0/8']));
    await waitFor('the refresh', () => Promise.resolve(allowed(list, '10.0.0.1') === 'allowed'));
    assert.deepEqual(future.t.row?.ranges, ['10.0.0.0/8']);

    const corrupt = memoryTable({ ranges: 'not a list', fetched_at: iso(start) });
    const other = make(corrupt.db, () => Promise.resolve(['10.0.0.0/8']));
    await other.loaded;
    await waitFor('the corrupt row to be replaced', () =>
      Promise.resolve(allowed(other, '10.0.0.1') === 'allowed'),
    );
  });

  test('nothing anywhere: 503 until GitHub answers; a failed store still uses the answer', async () => {
    const { t, db } = memoryTable();
    t.failWrites = true;
    const github: { answer?: string[] } = {};
    const list = make(db, () =>
      github.answer ? Promise.resolve(github.answer) : Promise.reject(new Error('away')),
    );
    await list.loaded;
    assert.equal(allowed(list, '10.0.0.1'), 'no-list');
    github.answer = ['10.0.0.0/8'];
    await waitFor('the first list', () => Promise.resolve(allowed(list, '10.0.0.1') === 'allowed'));
    assert.equal(allowed(list, '11.0.0.1'), 'not-allowed');
    assert.ok(t.writes >= 1);
  });
});
