// HTTPS served directly when given a certificate: a real TLS handshake against a certificate
// made for this test with openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { githubDelivery, type Delivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { withHookflow } from './helpers/harness';

function selfSigned(days = 1): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function postTls(
  url: string,
  ca: Buffer,
  d: Delivery,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // A connection of its own each time: a kept-alive one would skip the handshake this checks.
    const req = https.request(url, { method: 'POST', headers: d.headers, ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end(d.body);
  });
}

describe('HTTPS', () => {
  test('with TLS_CERT_PATH and TLS_KEY_PATH the front door serves HTTPS', async () => {
    const { cert, key } = selfSigned();
    await withHookflow({ env: { TLS_CERT_PATH: cert, TLS_KEY_PATH: key } }, async (h) => {
      assert.match(h.webhookUrl, /^https:\/\//);
      const res = await postTls(
        h.webhookUrl.replace('localhost', '127.0.0.1'),
        readFileSync(cert),
        githubDelivery({ event: 'issues', payload: { action: 'opened' } }),
      );
      assert.equal(res.status, 202);
      assert.equal(res.body.status, 'accepted');
      await assert.rejects(fetch(h.webhookUrl.replace('https:', 'http:'), { method: 'POST' }));
    });
  });

  test('a renewed certificate is served without a restart; a pair that does not load keeps the one in use', async () => {
    const [first, second] = [selfSigned(), selfSigned(60)];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-tls-live-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const env = { TLS_CERT_PATH: cert, TLS_KEY_PATH: key, HOOKFLOW_TLS_RELOAD_MS: '100' };
    const logged: string[] = [];
    const logger = createLogger('warn', 'tls-test', { write: (line: string) => void logged.push(line) });
    await withHookflow({ env, worker: false, logger }, async (h) => {
      const url = h.webhookUrl.replace('localhost', '127.0.0.1');
      // The certificate's end is a metric, and one that ends within two weeks is a warning at start.
      const expiry = async () =>
        Number(
          /^hookflow_tls_certificate_expiry_timestamp_seconds (\S+)$/m.exec(
            await (await fetch(h.metricsUrl)).text(),
          )?.[1],
        );
      const validTo = (file: string) => Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000;
      assert.equal(await expiry(), validTo(first.cert));
      assert.ok(logged.some((l) => l.includes('TLS certificate expires soon')));
      const ping = () => githubDelivery({ event: 'ping', payload: { zen: 'renewed' } });
      const servedWith = async (ca: string) =>
        postTls(url, readFileSync(ca), ping()).then(
          (r) => r.status === 200,
          () => false,
        );
      assert.equal(await servedWith(first.cert), true);
      // Half a renewal (the new key beside the old certificate): it does not load, so the old pair stays.
      copyFileSync(second.key, key);
      await waitFor('the half renewal to be tried', () =>
        Promise.resolve(logged.some((l) => l.includes('does not load'))),
      );
      assert.equal(await servedWith(first.cert), true, 'the pair in use is kept');
      // The other half: the new pair is served to new connections.
      copyFileSync(second.cert, cert);
      await waitFor('the renewed certificate', () => servedWith(second.cert), 10_000);
      assert.equal(await servedWith(first.cert), false, 'the old certificate is no longer served');
      assert.equal(await expiry(), validTo(second.cert), 'the metric follows the renewal');
    });
  });

  test('a certificate without its key (or an unreadable one) is a configuration problem', () => {
    assert.throws(
      () => loadConfig({ TLS_CERT_PATH: '/x' }),
      (e: unknown) => e instanceof ConfigError && /set both/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ TLS_CERT_PATH: '/nonexistent/c.pem', TLS_KEY_PATH: '/nonexistent/k.pem' }),
      /TLS_CERT_PATH: cannot read/,
    );
  });
});
