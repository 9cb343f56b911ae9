// The GitHub App's JWT: RS256, issued 30 s in the past, valid for less than GitHub's 10-minute cap.
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
import assert from 'node:assert/strict';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { appJwt } from '../../activities/github/app-jwt';

const NOW = 1_700_000_000_500;
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const part = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>;

test('an RS256 JWT for the App, signed with its key, issued 30 s back and valid 9 minutes', () => {
  const [header, payload, signature] = appJwt(4242, privateKey, NOW).split('.');
  assert.deepEqual(part(header), { alg: 'RS256', typ: 'JWT' });
  const iat = Math.floor(NOW / 1000) - 30;
  assert.deepEqual(part(payload), { iat, exp: iat + 9 * 60, iss: '4242' });
  const verifier = createVerify('RSA-SHA256').update(`${header}.${payload}`);
  assert.equal(verifier.verify(publicKey, Buffer.from(signature, 'base64url')), true);
});

test('a key that is not a private key cannot sign', () => {
  assert.throws(() => appJwt(4242, 'not a key', NOW));
});
