// The redaction policy on its own: credential- and email-shaped values, secret-named keys, values
// that cannot be span attributes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CENSOR, redactAttributes, redactText } from '../../lib/telemetry/redaction';

test('the redactor: credentials and emails in values, secret-named keys, non-primitive values', () => {
  const token = `ghs_${'a'.repeat(36)}`;
  assert.equal(
    redactText(`POST failed with token ${token} for bob@example.org`),
    `POST failed with ${CENSOR} for ${CENSOR}`,
  );
  assert.equal(redactText(`Authorization: Bearer ${token}`), `Authorization: ${CENSOR}`);
  assert.equal(redactText(`t=ghs_ab-cd_${'e'.repeat(20)} end`), `t=${CENSOR} end`);
  assert.equal(redactText('-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----'), CENSOR);
  assert.deepEqual(
    redactAttributes({
      'http.request.method': 'GET',
      'http.request.header.authorization': 'x',
      'hookflow.webhook_secret': 'x',
      'user.email': 'x',
      memo: { a: 1 } as never,
      list: ['ok', `github_pat_${'b'.repeat(30)}`],
      n: 3,
    }),
    { 'http.request.method': 'GET', list: ['ok', CENSOR], n: 3 },
  );
});

test('attributes with nothing to hide are handed back as they are, not copied', () => {
  const clean = { 'http.request.method': 'GET', list: ['a', 'b'], n: 3, ok: true, empty: [] };
  assert.equal(redactAttributes(clean), clean);
  const secret = `github_pat_${'b'.repeat(30)}`;
  const dirty = { list: ['ok', secret] };
  assert.deepEqual(redactAttributes(dirty), { list: ['ok', CENSOR] });
  assert.deepEqual(dirty, { list: ['ok', secret] }, 'the original is left as it was');
});
