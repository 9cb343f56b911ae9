// `npx hookflow run <app>` as a real process: an app that cannot load stops it at once with the
// reason; a good one starts hookflow with the app's handlers listed, and SIGTERM stops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './helpers/cli';
import { testEnv, waitFor } from './helpers/env';
import { freshSchemaUrl } from './helpers/harness';

const BIN = path.join(__dirname, '..', 'bin', 'hookflow.cjs');
const APPS = path.join(__dirname, 'fixtures', 'apps');

describe('hookflow run', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-run-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOOKFLOW_DATA_DIR: dataDir,
    WEBHOOK_SECRET: 's',
    LOG_LEVEL: 'error',
    ...extra,
  });

  test('without an app it says what is missing (exit 2)', async () => {
    const r = await runCli(['run'], env());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing required argument 'app'/);
  });

  test('an app with an unknown event stops the start, naming the file and the event (exit 1)', async () => {
    const file = path.join(APPS, 'bad', 'unknown-event.js');
    const r = await runCli(['run', file], env());
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /hookflow failed to start: the app .*unknown-event\.js failed to start: .*"issues\.openned" is not a known webhook name/,
    );
  });

  test('a good app: hookflow starts with its handlers, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'run', path.join(APPS, 'triage.ts')], {
      env: env({
        PORT: '0',
        HOST: '127.0.0.1',
        TEMPORAL_ADDRESS: testEnv.temporalAddress,
        TEMPORAL_NAMESPACE: testEnv.namespace,
        TEMPORAL_TASK_QUEUE: `tq-run-${process.pid}`,
        DATABASE_URL: await freshSchemaUrl(),
        HOOKFLOW_WORKER_METRICS_PORT: '0',
        HOOKFLOW_METRICS_PORT: '0',
        HOOKFLOW_ADMIN_PORT: '0',
        HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0',
        HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(
        'hookflow to say it runs',
        () => Promise.resolve(stdout.includes('Press Ctrl-C')),
        120_000,
      );
      assert.match(stdout, /App: +.*triage\.ts \(issues\.opened#1, issues\.labeled#1, issues\.reopened#1\)/);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
