// `npx hookflow sync`: a real CLI process against the run's Temporal, a hookflow worker, and the fake provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, startFake } from './helpers/api';
import { runCli } from './helpers/cli';
import { testEnv } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

function hookflow(args: string[], env: Record<string, string>) {
  return runCli(args, { ...process.env, ...env });
}

describe('hookflow sync (CLI)', () => {
  let fake: FakeGitHub;
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    fake = await startFake();
    fake.addRepo('octo/cli', { id: 301, installation: '3001', issues: 120, pulls: 5, commentsPerIssue: 1 });
    h = await startHookflow({ env: apiEnv(fake) });
    env = {
      ...apiEnv(fake),
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_NAMESPACE: h.config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
    };
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  test('--json prints the final summary', async () => {
    const r = await hookflow(['sync', 'octo/cli', '--installation', '3001', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(summary.items, { issues: 120, pulls: 5, comments: 120 });
    for (const k of ['pages', 'requests', 'notModified', 'rateLimitWaits', 'durationMs'])
      assert.equal(typeof summary[k], 'number', k);
  });

  test('without --json it reports progress and the end', async () => {
    const r = await hookflow(['sync', 'octo/cli', '--installation', '3001'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sync of octo\/cli \(workflow sync:github:octo\/cli\)/);
    assert.match(r.stderr, /done in/);
  });

  test('bad arguments and failed syncs say what was wrong', async () => {
    const bad = await hookflow(['sync', 'not a repo'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a repository name: not a repo/);
    const noCommand = await hookflow(['frobnicate'], env);
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stderr, /unknown command 'frobnicate'/);
    const unknown = await hookflow(['sync', 'octo/nowhere', '--json'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /octo\/nowhere is in no installation hookflow knows/);
    const badConfig = await hookflow(['sync', 'octo/cli'], { ...env, HOOKFLOW_API_TIMEOUT_MS: 'soon' });
    assert.equal(badConfig.code, 1);
    assert.match(badConfig.stderr, /HOOKFLOW_API_TIMEOUT_MS: must be a whole number/);
  });
});
