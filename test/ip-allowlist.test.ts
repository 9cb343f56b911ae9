// The source-address allow-list (HOOKFLOW_IP_ALLOWLIST=github-meta) on a real server bound to both
// IPv4 and IPv6 (`::`), fed by the fake GitHub's `GET /meta`: 503 until a list is loaded; IPv4 peers
// (seen as IPv4-mapped `::ffff:127.0.0.1`) and IPv6 peers checked against the `hooks` ranges; a
// trusted proxy (::1) whose X-Forwarded-For names the sender, an untrusted peer whose header is
// ignored; a refusal before the body is read; a failed refresh that keeps the last good list.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { startFake } from './helpers/api';
import { githubDelivery, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { TRULINKS } from './helpers/providers';

describe('source-address allow-list from GitHub /meta', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let meta: { status: number; hooks: string[] } = { status: 500, hooks: [] };
  let metaCalls = 0;
  const urls = { v4: '', v6: '' };

  before(async () => {
    const sources = path.join(mkdtempSync(path.join(os.tmpdir(), 'hookflow-sources-')), 'sources.json');
    writeFileSync(sources, JSON.stringify({ providers: [TRULINKS] }));
    fake = await startFake();
    // Public: no credentials needed, none sent.
    fake.route('/meta', (req) => {
      metaCalls++;
      assert.equal(req.headers.authorization, undefined, 'GET /meta is called without credentials');
      return meta.status === 200
        ? { status: 200, body: { verifiable_password_authentication: false, hooks: meta.hooks } }
        : { status: meta.status, body: { message: 'Server Error' } };
    });
    h = await startHookflow({
      worker: false,
      env: {
        HOST: '::',
        GITHUB_API_URL: fake.url,
        HOOKFLOW_IP_ALLOWLIST: 'github-meta',
        HOOKFLOW_IP_ALLOWLIST_REFRESH_MS: '200',
        HOOKFLOW_TRUSTED_PROXIES: '::1',
        HOOKFLOW_SOURCES_FILE: sources,
        HOOKFLOW_API_BACKOFF_MS: '20',
      },
    });
    const { port } = new URL(h.url);
    urls.v4 = `http://127.0.0.1:${port}${h.config.webhookPath}`;
    urls.v6 = `http://[::1]:${port}${h.config.webhookPath}`;
  });
  after(async () => {
    await h?.close();
    await fake?.close();
  });

  const delivery = (forwardedFor?: string) => {
    const d = githubDelivery({ event: 'star', payload: { action: 'created' } });
    if (forwardedFor !== undefined) d.headers['x-forwarded-for'] = forwardedFor;
    return d;
  };
  /** A counter's value on the server's /metrics, for the series with this label (0 when absent). */
  const counter = async (name: string, label: string) => {
    const text = await (await fetch(h.metricsUrl)).text();
    const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)`, 'm').exec(text);
    return Number(m?.[1] ?? 0);
  };
  const refusals = (reason: string) => counter('hookflow_address_refusals_total', `reason="${reason}"`);
  const refreshes = (result: string) => counter('hookflow_allowlist_refreshes_total', `result="${result}"`);

  test('503 until a list is loaded; then IPv4 (mapped) and IPv6 peers against the ranges', async () => {
    const early = await post(urls.v4, delivery());
    assert.deepEqual(
      [early.status, early.body.error, early.headers.get('retry-after')],
      [503, "hookflow has not loaded GitHub's hook addresses (GET /meta) yet; redeliver later", '60'],
    );
    assert.equal(await refusals('no-list'), 1);

    meta = { status: 200, hooks: ['192.30.252.0/22', '127.0.0.0/8', '2a0a:a440::/29'] };
    await waitFor('the list to load', async () => (await post(urls.v4, delivery())).status === 202);
    // The list is in storage for every replica.
    const { rows } = await h.store.db.query<{ ranges: string[] }>(
      "SELECT ranges FROM ip_allowlists WHERE name = 'github-meta'",
    );
    assert.deepEqual(rows[0]?.ranges, meta.hooks);

    // ::1 is not in the ranges, and it is a trusted proxy only for what it forwards.
    const v6 = await post(urls.v6, delivery());
    assert.deepEqual(
      [v6.status, v6.body.error],
      [403, "::1 is not one of GitHub's hook addresses (GET /meta)"],
    );
    assert.equal(await refusals('not-allowed'), 1);

    // The list is GitHub's: another provider's door is not checked against it (its own checks answer).
    const other = await fetch(`http://[::1]:${new URL(h.url).port}${TRULINKS.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(other.status, 400, 'missing headers, not an address refusal');
  });

  test('X-Forwarded-For counts from a trusted proxy only', async () => {
    // Through the proxy (::1): the nearest untrusted address it names is the sender's.
    assert.equal((await post(urls.v6, delivery('192.30.252.7'))).status, 202);
    assert.equal((await post(urls.v6, delivery('2a0a:a440::5'))).status, 202);
    assert.equal((await post(urls.v6, delivery('::ffff:192.30.252.9'))).status, 202);
    assert.equal((await post(urls.v6, delivery('192.30.252.7, ::1'))).status, 202);
    // A sender cannot add an address in front of the one the proxy saw.
    const spoofed = await post(urls.v6, delivery('192.30.252.7, 10.1.1.1'));
    assert.deepEqual(
      [spoofed.status, spoofed.body.error],
      [403, "10.1.1.1 is not one of GitHub's hook addresses (GET /meta)"],
    );
    const bad = await post(urls.v6, delivery('unknown'));
    assert.deepEqual(
      [bad.status, bad.body.error],
      [403, 'X-Forwarded-For from the trusted proxy names "unknown", which is not an address'],
    );
    assert.equal(await refusals('bad-forwarded-for'), 1);

    // From a peer that is not a proxy the header is ignored: the peer's own address is checked.
    meta = { status: 200, hooks: ['192.30.252.0/22', '2a0a:a440::/29'] };
    await waitFor(
      '127.0.0.1 to leave the list',
      async () => (await post(urls.v4, delivery())).status === 403,
    );
    const ignored = await post(urls.v4, delivery('192.30.252.7'));
    assert.deepEqual(
      [ignored.status, ignored.body.error],
      [403, "::ffff:127.0.0.1 is not one of GitHub's hook addresses (GET /meta)"],
    );
  });

  test('a refusal comes before the body is read', async () => {
    // Headers promising 10 MB that never come: an answer at all means nothing waited for them.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(urls.v4, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 403);
  });

  test('a failed refresh keeps the last good list', async () => {
    meta = { status: 200, hooks: ['127.0.0.0/8'] };
    await waitFor(
      '127.0.0.1 to be allowed again',
      async () => (await post(urls.v4, delivery())).status === 202,
    );
    meta = { status: 500, hooks: [] };
    const calls = metaCalls;
    const failedBefore = await refreshes('failed');
    await waitFor('two refreshes to fail', async () => (await refreshes('failed')) >= failedBefore + 2);
    assert.ok(metaCalls > calls);
    assert.equal((await post(urls.v4, delivery())).status, 202, 'the last good list still holds');
    assert.equal((await post(urls.v6, delivery())).status, 403, 'and still refuses what it does not hold');
    // An answer with no usable ranges is a failure too, not an empty list that refuses everyone.
    meta = { status: 200, hooks: ['not a range'] };
    const failed = await refreshes('failed');
    await waitFor(
      'the empty answer to count as failed',
      async () => (await refreshes('failed')) >= failed + 1,
    );
    assert.equal((await post(urls.v4, delivery())).status, 202);
    assert.equal((await post(urls.v6, delivery())).status, 403);
  });
});
