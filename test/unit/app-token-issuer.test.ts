// Issuing installation tokens against a loopback stand-in for GitHub: the answers are classified as
// the App's own call, and the refused credentials are counted.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../activities/github/api-error';
import { createTokenIssuer } from '../../activities/github/app-token-issuer';
import { createClientTelemetry, type ClientMetrics } from '../../activities/github/client-telemetry';
import { createTransport } from '../../activities/github/transport';
import { createLogger } from '../../lib/logger';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

/** What the server answers next: status, headers and body text. */
let answer: { status: number; headers?: Record<string, string>; body?: string } = { status: 201 };
let server: http.Server;
let baseUrl: string;
before(async () => {
  server = http.createServer((_req, res) => {
    res
      .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      .end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function issuer(key = privateKey) {
  const authFailures: string[] = [];
  const metrics = {
    recordAuthFailure: (reason: string) => void authFailures.push(reason),
  } as unknown as ClientMetrics;
  const now = Date.now;
  const transport = createTransport(baseUrl, 2_000);
  const telemetry = createClientTelemetry({
    host: '127.0.0.1',
    logger: createLogger('silent'),
    metrics,
    now,
  });
  const issue = createTokenIssuer({
    app: { appId: 4242, privateKey: key },
    transport,
    telemetry,
    now,
    secondaryWaitMs: 200,
  });
  return { issue, authFailures };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => assert.fail('expected an ApiError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, String(err));
  return err;
}

describe('installation token issuance', () => {
  test('a 201 gives the token and its expiry', async () => {
    const expires = '2030-01-01T00:00:00Z';
    answer = { status: 201, body: JSON.stringify({ token: 'ghs_abc', expires_at: expires }) };
    assert.deepEqual(await issuer().issue('9'), { token: 'ghs_abc', expiresAt: Date.parse(expires) });
  });

  test('a refused App JWT (401) is lost access, counted as unauthorized', async () => {
    answer = { status: 401, body: JSON.stringify({ message: 'A JSON web token could not be decoded' }) };
    const { issue, authFailures } = issuer();
    const err = await refusal(issue('9'));
    assert.equal(err.kind, 'forbidden');
    assert.match(err.message, /installation 9 lost access: GitHub answered 401 .*could not be decoded/);
    assert.deepEqual(authFailures, ['unauthorized']);
  });

  test('a 403 is lost access, counted as forbidden; a 404 (installation gone) is lost access, not counted', async () => {
    answer = { status: 403, body: JSON.stringify({ message: 'suspended' }) };
    const a = issuer();
    assert.equal((await refusal(a.issue('9'))).kind, 'forbidden');
    assert.deepEqual(a.authFailures, ['forbidden']);
    answer = { status: 404, body: JSON.stringify({ message: 'Not Found' }) };
    const b = issuer();
    assert.equal((await refusal(b.issue('9'))).kind, 'forbidden');
    assert.deepEqual(b.authFailures, []);
  });

  test('a rate limit says which limit and how long to wait; a 5xx is a server error', async () => {
    answer = { status: 429, headers: { 'retry-after': '30' } };
    const limited = await refusal(issuer().issue('9'));
    assert.equal(limited.kind, 'rate-limited');
    assert.deepEqual([limited.details.waitMs, limited.details.limit], [30_000, 'retry-after']);
    answer = { status: 502 };
    assert.equal((await refusal(issuer().issue('9'))).kind, 'server');
  });

  test('a success without a token, or with no body at all, is a client error', async () => {
    answer = { status: 201, body: JSON.stringify({ expires_at: '2030-01-01T00:00:00Z' }) };
    const missing = await refusal(issuer().issue('9'));
    assert.equal(missing.kind, 'client');
    assert.match(missing.message, /no token in the answer/);
    answer = { status: 201 };
    assert.equal((await refusal(issuer().issue('9'))).kind, 'client');
  });

  test('a key that cannot sign is a client error that keeps the signing error as its cause', async () => {
    const err = await refusal(issuer('not a key').issue('9'));
    assert.equal(err.kind, 'client');
    assert.match(err.message, /cannot sign the App JWT with PRIVATE_KEY/);
    assert.ok(err.cause instanceof Error);
  });
});
