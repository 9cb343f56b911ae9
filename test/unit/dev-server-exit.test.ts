// A dev server that exits while starting: the error says why, in the server's own words, even when
// its output was kept quiet. A stand-in script plays the `temporal` CLI.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startDevServer } from '../../lib/temporal/dev-server';

const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-dev-server-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeCli(script: string): string {
  const file = path.join(dir, `temporal-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('a quiet dev server that exits while starting: the error carries its last output', async () => {
  // Enough noise first that only the tail is kept, then the reason, as the CLI prints it.
  const cli = fakeCli(
    `i=0; while [ $i -lt 200 ]; do echo "starting line $i of some length to fill the pipe"; i=$((i+1)); done
echo 'Error: listen tcp 127.0.0.1:7233: bind: address already in use' >&2
exit 2`,
  );
  await assert.rejects(
    startDevServer({ cli, port: 1, namespace: 'default', stdio: 'quiet' }),
    (err: Error) => {
      assert.match(
        err.message,
        /^temporal server start-dev exited \(code 2, signal null\); its last output:/,
      );
      assert.match(err.message, /bind: address already in use$/);
      assert.doesNotMatch(err.message, /line 0 /, 'only the end is kept');
      assert.ok(err.message.length < 4_300, `kept ${err.message.length} characters`);
      return true;
    },
  );
});

test('a silent exit says only how it ended', async () => {
  const cli = fakeCli('exit 3');
  await assert.rejects(
    startDevServer({ cli, port: 1, namespace: 'default', stdio: 'quiet' }),
    /^Error: temporal server start-dev exited \(code 3, signal null\)$/,
  );
});
