// The allow-list's parts with no services: address ranges as configured and as GitHub lists them,
// and whose address a request is (the peer, or what a trusted proxy forwarded for).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../lib/config';
import { parseRange, rangeList } from '../../lib/net';
import { clientAddress } from '../../server/ip-allowlist';

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
