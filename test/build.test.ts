// Production runs the compiled code: `npm run build`'s output (tsc into dist/, plus the prebuilt
// workflow bundle) starts a server and a worker under plain `node` — no tsx, no webpack at start —
// and they handle a delivery end to end, with the write-back against the fake provider.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../lib/net';
import { issueOpened, SEAL_KEY, startFake } from './helpers/api';
import { post } from './helpers/deliveries';
import { testEnv, waitFor } from './helpers/env';
import { freshSchemaUrl } from './helpers/harness';
import { exited } from './helpers/worker-process';
import type { FakeGitHub } from './fake-github/server';

const root = path.join(__dirname, '..');
const run = promisify(execFile);

describe('the compiled build (npm run build)', () => {
  // Inside the repository, so the compiled code finds node_modules as dist/ does.
  const out = path.join(root, '.scratch', `build-${process.pid}`);
  const children: ChildProcess[] = [];
  let fake: FakeGitHub;
  before(async () => {
    mkdirSync(path.dirname(out), { recursive: true });
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out]);
    await run(process.execPath, [path.join(out, 'scripts', 'bundle-workflows.js')], { cwd: root });
    fake = await startFake({ staticTokens: { ghp_build_test_token: 'pat:build' } });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await fake?.close();
    rmSync(out, { recursive: true, force: true });
  });

  test('a compiled server and worker handle a delivery under plain node, with the prebuilt bundle', async () => {
    assert.ok(existsSync(path.join(out, 'workflow-bundle.js')), 'the workflow bundle was prebuilt');
    assert.ok(existsSync(path.join(out, 'workflow-bundle-untraced.js')), 'and its untraced twin');
    fake.addRepo('octo/built', { id: 901, installation: '9001', issues: 1 });
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      // No loader of any kind: what runs is the JavaScript in the build.
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_SECRET: 'test-secret',
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_NAMESPACE: testEnv.namespace,
      TEMPORAL_TASK_QUEUE: `tq-build-${process.pid}`,
      DATABASE_URL: await freshSchemaUrl(),
      GITHUB_TOKEN: 'ghp_build_test_token',
      GITHUB_API_URL: fake.url,
      HOOKFLOW_WELCOME_LABEL: 'triage',
      HOOKFLOW_WORKER_METRICS_PORT: '0',
      HOOKFLOW_METRICS_PORT: '0',
      // What the compiled server and worker hand Temporal is encrypted (the default): one key for both.
      HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64'),
      LOG_LEVEL: 'info',
    };
    const start = (entry: string) => {
      const child = spawn(process.execPath, [path.join(out, entry)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      children.push(child);
      return { child, output: () => output };
    };
    const worker = start('worker/main.js');
    const server = start('server/main.js');
    await waitFor(
      'the worker to run',
      () => Promise.resolve(/hookflow worker running/.test(worker.output())),
      60_000,
    );
    await waitFor(
      'the server to be ready',
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
      60_000,
    );

    const answer = await post(
      `http://127.0.0.1:${port}/api/github/webhooks`,
      issueOpened(fake, 'octo/built', 1),
    );
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await waitFor('the delivery to complete', async () => {
        const r = await db.query<{ outcome: string }>(
          'SELECT outcome FROM deliveries WHERE delivery_key = $1',
          [answer.body.workflowId],
        );
        return r.rows[0]?.outcome === 'completed';
      });
    } finally {
      await db.end();
    }
    assert.ok(
      fake.requests.some((r) => r.method === 'POST' && r.path === '/repos/octo/built/issues/1/labels'),
      'the write-back reached the provider',
    );
    // Bundling at start logs this; a prebuilt bundle is loaded without it.
    assert.doesNotMatch(worker.output(), /Workflow bundle created/);
    for (const p of [worker, server]) {
      p.child.kill('SIGTERM');
      assert.equal(await new Promise((r) => p.child.once('exit', r)), 0, p.output());
    }
  });
});
