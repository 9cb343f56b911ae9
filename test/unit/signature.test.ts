import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GITHUB_SHA1, GITHUB_SHA256, sign, verifySignature } from '../../server/signature';

// GitHub's documented test vector (validating-webhook-deliveries.md).
const SECRET = "It's a Secret to Everybody";
const BODY = Buffer.from('Hello, World!');
const SHA256 = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const SHA1 = 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59';

describe('signatures', () => {
  test("GitHub's sha256 test vector", () => {
    assert.equal(sign(GITHUB_SHA256, SECRET, BODY), SHA256);
    assert.equal(verifySignature(GITHUB_SHA256, [SECRET], BODY, SHA256), 'valid');
  });

  test('sha1 (X-Hub-Signature) vector', () => {
    assert.equal(sign(GITHUB_SHA1, SECRET, BODY), SHA1);
    assert.equal(verifySignature(GITHUB_SHA1, [SECRET], BODY, SHA1), 'valid');
  });

  test('octokit/webhooks-methods vector', () => {
    const sig = 'sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3';
    assert.equal(verifySignature(GITHUB_SHA256, ['mysecret'], Buffer.from('{"foo":"bar"}'), sig), 'valid');
  });

  test('rotation: any of several secrets is accepted, in any order', () => {
    assert.equal(verifySignature(GITHUB_SHA256, ['new-secret', SECRET], BODY, SHA256), 'valid');
    assert.equal(verifySignature(GITHUB_SHA256, [SECRET, 'new-secret'], BODY, SHA256), 'valid');
    assert.equal(verifySignature(GITHUB_SHA256, ['new-secret', 'older'], BODY, SHA256), 'mismatch');
  });

  test('a changed body or wrong secret is a mismatch', () => {
    assert.equal(verifySignature(GITHUB_SHA256, [SECRET], Buffer.from('Hello, World?'), SHA256), 'mismatch');
    assert.equal(verifySignature(GITHUB_SHA256, ['wrong'], BODY, SHA256), 'mismatch');
    assert.equal(verifySignature(GITHUB_SHA256, [], BODY, SHA256), 'mismatch');
  });

  test('malformed headers are told apart from mismatches', () => {
    for (const bad of [
      '',
      '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', // no prefix
      'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', // wrong prefix
      'sha256=757107ea', // too short
      `${SHA256}00`, // too long
      `${SHA256}f`, // an odd trailing digit that Buffer.from would silently drop
      'sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', // not hex
      'sha256= 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1',
    ]) {
      assert.equal(verifySignature(GITHUB_SHA256, [SECRET], BODY, bad), 'malformed', bad);
    }
    assert.equal(verifySignature(GITHUB_SHA1, [SECRET], BODY, SHA256), 'malformed');
  });

  test('uppercase hex digests are accepted', () => {
    assert.equal(
      verifySignature(GITHUB_SHA256, [SECRET], BODY, `sha256=${SHA256.slice(7).toUpperCase()}`),
      'valid',
    );
  });

  test('declarative schemes: base64 without a prefix, sha512', () => {
    const b64 = { algorithm: 'sha256', prefix: '', encoding: 'base64' } as const;
    const sig = sign(b64, 'k', BODY);
    assert.match(sig, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(verifySignature(b64, ['k'], BODY, sig), 'valid');
    // The same bytes with different (ignored) padding bits are not the signature.
    const last = sig.at(-2)!;
    const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : last;
    if (sibling !== last)
      assert.equal(verifySignature(b64, ['k'], BODY, `${sig.slice(0, -2)}${sibling}=`), 'malformed');
    const s512 = { algorithm: 'sha512', prefix: 'v1=', encoding: 'hex' } as const;
    assert.equal(verifySignature(s512, ['k'], BODY, sign(s512, 'k', BODY)), 'valid');
    assert.equal(
      verifySignature(s512, ['k'], BODY, sign(GITHUB_SHA256, 'k', BODY).replace('sha256=', 'v1=')),
      'malformed',
    );
  });
});
