// Log lines are readable on a terminal and JSON everywhere else, unless LOG_FORMAT says which.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../lib/logger';
import { chooseLogFormat, logDestination } from '../../lib/telemetry/log-output';

test('the format: LOG_FORMAT when set, otherwise pretty on a terminal and json elsewhere', () => {
  assert.equal(chooseLogFormat(undefined, true), 'pretty');
  assert.equal(chooseLogFormat(undefined, false), 'json');
  assert.equal(chooseLogFormat('json', true), 'json');
  assert.equal(chooseLogFormat('json', false), 'json');
  assert.equal(chooseLogFormat('pretty', false), 'pretty');
  assert.equal(chooseLogFormat('pretty', true), 'pretty');
});

test('JSON keeps pino’s own writer; pretty writes one readable, redacted line per call', () => {
  const written: string[] = [];
  const pipe = { isTTY: false, write: (s: string) => written.push(s) > 0 };
  assert.equal(logDestination(undefined, pipe), undefined);
  assert.equal(logDestination('json', { ...pipe, isTTY: true }), undefined);
  const logger = createLogger('info', 'hookflow', logDestination('pretty', pipe));
  logger.info({ delivery: 'github:abc', token: 'x' }, 'delivery accepted');
  logger.error({ err: new Error('boom') }, 'worker stopped with an error');
  assert.equal(written.length, 2);
  assert.match(written[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(hookflow\): delivery accepted /);
  assert.match(written[0], /"delivery":"github:abc"/);
  assert.match(written[0], /"token":"\[redacted\]"/);
  assert.ok(!written[0].includes('\u001b['), 'no colours when the output is not a terminal');
  assert.match(written[1], /ERROR \(hookflow\): worker stopped with an error/);
  assert.match(written[1], /Error: boom\n\s+at /);
});
