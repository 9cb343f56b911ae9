// The logger applies the same redaction policy as spans: credential-shaped values are masked
// wherever they appear in a line (fields, child bindings, the message, an error's message), keys
// that name a secret are censored at any depth, and errors keep their message, stack and cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../lib/logger';
import { CENSOR } from '../../lib/telemetry/redaction';

function capture(level = 'trace') {
  const lines: string[] = [];
  const logger = createLogger(level, 'test', { write: (line: string) => void lines.push(line) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const GHS = `ghs_${'A1b2C'.repeat(8)}`;
const GHP = `ghp_${'Zz9'.repeat(12)}`;
const PAT = `github_pat_${'11AB'.repeat(10)}`;
const JWT = `eyJhbGciOiJSUzI1NiJ9.${'eyJpc3MiOiIxMjMifQ'}.${'c2lnbmF0dXJl'.repeat(3)}`;
const BEARER = `Bearer ${'q'.repeat(30)}`;

test('token-shaped values inside identifiers are masked in fields, bindings and messages', () => {
  const { logger, lines } = capture();
  const child = logger.child({ delivery: GHS, repository: { full_name: PAT } });
  child.info(
    { action: GHP, installation: { account: JWT }, list: [BEARER, 'ok'] },
    `delivery ${GHS} handled`,
  );
  child.info('printf style %s', GHP);
  child.error(new Error(`refused ${BEARER}`));
  assert.equal(lines.length, 3);
  for (const line of lines) {
    for (const secret of [GHS, GHP, PAT, JWT, BEARER, BEARER.slice('Bearer '.length)]) {
      assert.ok(!line.includes(secret), `${secret.slice(0, 12)}… in ${line}`);
    }
  }
  const [first] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(first.delivery, CENSOR);
  assert.deepEqual(first.repository, { full_name: CENSOR });
  assert.equal(first.action, CENSOR);
  assert.deepEqual(first.list, [CENSOR, 'ok']);
  assert.equal(first.msg, `delivery ${CENSOR} handled`);
});

test('keys that name a secret are censored at any depth, as spans drop them', () => {
  const { logger, parsed } = capture();
  logger.info({
    webhookSecret: 'plain-words',
    request: { headers: { 'x-hub-signature-256': 'sha256=abc', cookie: 'c=1', accept: 'json' } },
    deep: { a: { b: { installationToken: 'x', n: 1 } } },
    sender: { login: 'alice', email: 'alice@example.com' },
  });
  const [line] = parsed();
  assert.equal(line.webhookSecret, CENSOR);
  assert.deepEqual(line.request, {
    headers: { 'x-hub-signature-256': CENSOR, cookie: CENSOR, accept: 'json' },
  });
  assert.deepEqual(line.deep, { a: { b: { installationToken: CENSOR, n: 1 } } });
  assert.deepEqual(line.sender, { login: 'alice', email: CENSOR });
});

test('errors keep type, message, stack and cause, under err or any other key', () => {
  const { logger, parsed } = capture();
  const cause = new Error(`socket hang up near ${GHS}`);
  const err = Object.assign(new TypeError('start failed', { cause }), { code: 'E_START' });
  logger.error({ err }, 'worker stopped with an error');
  logger.warn({ error: new Error('plain') }, 'in meta');
  const [withErr, inMeta] = parsed() as [{ err: Record<string, string> }, { error: Record<string, string> }];
  assert.equal(withErr.err.type, 'TypeError');
  assert.equal(withErr.err.code, 'E_START');
  assert.equal(withErr.err.message, `start failed: socket hang up near ${CENSOR}`);
  assert.match(withErr.err.stack, /TypeError: start failed\n\s+at /);
  assert.ok(withErr.err.stack.includes(`caused by: Error: socket hang up near ${CENSOR}`), withErr.err.stack);
  assert.equal(inMeta.error.message, 'plain');
  assert.match(inMeta.error.stack, /^Error: plain\n\s+at /);
});

test('the caller’s objects are not changed, and cycles do not stop a line', () => {
  const { logger, parsed } = capture();
  const fields: Record<string, unknown> = { token: 'keep-me', nested: { action: GHP } };
  fields.self = fields;
  logger.info(fields, 'cyclic');
  assert.equal(fields.token, 'keep-me');
  assert.deepEqual(fields.nested, { action: GHP });
  const [line] = parsed();
  assert.equal((line.self as Record<string, unknown>).self, '[Circular]');
  assert.equal(line.token, CENSOR);
});
