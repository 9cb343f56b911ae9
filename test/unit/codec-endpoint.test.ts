// The codec endpoint on a real listener (no Temporal): Temporal's codec-server protocol in and out,
// the token as a bearer header or the path's first segment, CORS for the configured UI origin only,
// another namespace refused, bad bodies and missing keys answered with what was wrong.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { keyId } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import { ENCRYPTED_ENCODING, encryptionCodec } from '../../lib/temporal/payload-codec';
import { payloadToJson, serveCodecEndpoint } from '../../server/codec-endpoint';

const TOKEN = 'codec-token-0123456789abcdef-0123456789';
const UI = 'http://127.0.0.1:8233';
const key = randomBytes(32);
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

describe('the codec endpoint', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = await serveCodecEndpoint(
      {
        codec: encryptionCodec([key]),
        token: TOKEN,
        origins: [UI],
        namespace: 'hookflow-ns',
        logger: createLogger('silent'),
      },
      0,
      '127.0.0.1',
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const plain = defaultPayloadConverter.toPayload({ email: 'alice@example.com' });
  const plainJson: JsonPayload = {
    metadata: { encoding: Buffer.from(plain.metadata!.encoding).toString('base64') },
    data: Buffer.from(plain.data!).toString('base64'),
  };

  test('encodes to ciphertext naming the key, and decodes it back (bearer or path token)', async () => {
    const encoded = await call(
      '/encode',
      { payloads: [plainJson] },
      { ...bearer, 'x-namespace': 'hookflow-ns' },
    );
    assert.equal(encoded.status, 200);
    const { payloads } = (await encoded.json()) as { payloads: JsonPayload[] };
    assert.equal(unb64(payloads[0].metadata.encoding), ENCRYPTED_ENCODING);
    assert.equal(unb64(payloads[0].metadata['encryption-key-id']), keyId(key));
    assert.equal(unb64(payloads[0].data).includes('alice@example.com'), false);

    const decoded = await call(`/${TOKEN}/decode`, { payloads });
    assert.equal(decoded.status, 200);
    assert.deepEqual(await decoded.json(), { payloads: [plainJson] });
  });

  test('without the token, or with another, 401 and nothing decoded', async () => {
    const [sealed] = await encryptionCodec([key]).encode([plain]);
    const body = { payloads: [payloadToJson(sealed)] };
    for (const [path, headers] of [
      ['/decode', {}],
      ['/decode', { authorization: 'Bearer not-the-token-at-all' }],
      ['/not-the-token-at-all/decode', {}],
      [`/${TOKEN}x/decode`, {}],
    ] as const) {
      const r = await call(path, body, headers);
      assert.equal(r.status, 401, path);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      const text = await r.text();
      assert.equal(text.includes('alice@example.com'), false);
      assert.match(text, /HOOKFLOW_CODEC_TOKEN/);
    }
    assert.equal((await call('/decode', body, bearer)).status, 200, 'the same body decodes with the token');
  });

  test('the configured UI origin is granted CORS; another origin is refused, before any body is read', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const granted = await preflight(UI);
    assert.equal(granted.status, 204);
    assert.equal(granted.headers.get('access-control-allow-origin'), UI);
    assert.match(granted.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    assert.match(granted.headers.get('access-control-allow-methods') ?? '', /POST/);

    const other = await preflight('http://evil.example:8233');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const post = await call(
      '/decode',
      { payloads: [plainJson] },
      { ...bearer, origin: 'http://evil.example:8233' },
    );
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);
    assert.match(await post.text(), /HOOKFLOW_CODEC_ORIGINS/);

    const fromUi = await call('/decode', { payloads: [plainJson] }, { ...bearer, origin: UI });
    assert.equal(fromUi.status, 200);
    assert.equal(fromUi.headers.get('access-control-allow-origin'), UI);
  });

  test('another namespace, a bad body, a wrong method or path: the answer says what was wrong', async () => {
    const cases: [Response, number, RegExp][] = [
      [
        await call('/decode', { payloads: [] }, { ...bearer, 'x-namespace': 'other' }),
        400,
        /namespace hookflow-ns only/,
      ],
      [await call('/decode', 'not json', bearer), 400, /not JSON/],
      [await call('/decode', { payload: [] }, bearer), 400, /payloads/],
      [
        await call('/decode', { payloads: [{ data: 'not base64!' }] }, bearer),
        400,
        /payloads\.0\.data must be base64/,
      ],
      [await fetch(`${base}/decode`, { headers: bearer }), 405, /takes POST/],
      [await call('/elsewhere', {}, bearer), 404, /POST \/encode and POST \/decode/],
    ];
    for (const [r, status, message] of cases) {
      assert.equal(r.status, status);
      assert.match(((await r.json()) as { error: string }).error, message);
    }
  });

  test("a payload sealed with a key the endpoint lacks: 422 naming that key's ID", async () => {
    const other = randomBytes(32);
    const [sealed] = await encryptionCodec([other]).encode([plain]);
    const r = await call('/decode', { payloads: [payloadToJson(sealed)] }, bearer);
    assert.equal(r.status, 422);
    assert.match(((await r.json()) as { error: string }).error, new RegExp(`key ${keyId(other)}`));
  });
});
