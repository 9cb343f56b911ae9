// The Temporal UI's "Reset" of a failed delivery workflow, one and in bulk, through the same server
// API the UI uses (`temporal workflow reset`, single and `--query`): the delivery runs again from its
// first workflow task, reads its payload from the ledger, and the ledger records the new outcome and
// counts the run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, issueOpened, startFake } from './helpers/api';
import { testEnv, waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const run = promisify(execFile);

describe('resetting failed delivery workflows (the Temporal UI path)', () => {
  let fake: FakeGitHub;
  let h: Harness;
  before(async () => {
    fake = await startFake();
    h = await startHookflow({ env: apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage' }) });
    await installRepo(h, fake, 'octo/reset', { id: 77, installation: '770', issues: 6 });
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  const temporal = (...args: string[]) =>
    run(testEnv.cli, [
      ...args,
      '--address',
      testEnv.temporalAddress,
      '--namespace',
      h.config.temporal.namespace,
    ]);

  /** Deliveries whose label write-back GitHub refuses (422): their workflows fail at once. */
  async function failedDeliveries(numbers: number[]): Promise<string[]> {
    fake.script({
      method: 'POST',
      path: /\/labels$/,
      times: numbers.length,
      status: 422,
      body: { message: 'Validation Failed' },
    });
    const keys: string[] = [];
    for (const n of numbers) {
      const answer = await h.post(issueOpened(fake, 'octo/reset', n, 770));
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      keys.push(String(answer.body.workflowId));
    }
    for (const key of keys) {
      await h.waitForOutcome(key, 'failed');
      await assert.rejects(h.client.workflow.getHandle(key).result());
    }
    return keys;
  }

  const labelled = (n: number) =>
    (fake.issueJson('octo/reset', n).labels as { name: string }[]).some((l) => l.name === 'triage');

  test('Reset of one failed delivery (to its first workflow task) runs it again, and it completes', async () => {
    const [key] = await failedDeliveries([1]);
    assert.equal(labelled(1), false);
    await temporal(
      'workflow',
      'reset',
      '--workflow-id',
      key,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'cause fixed',
    );
    await h.waitForOutcome(key, 'completed');
    assert.equal(labelled(1), true, 'the write-back ran');
    const [d] = await h.store.findDeliveries(key);
    assert.equal(d?.attempts, 2, 'the ledger counts the reset run');
  });

  test('a batch Reset over a query of failed deliveries runs each of them again', async () => {
    const keys = await failedDeliveries([2, 3, 4]);
    const query = `ExecutionStatus="Failed" AND HookflowEvent="issues" AND HookflowRepository="octo/reset" AND TaskQueue="${h.taskQueue}"`;
    await temporal(
      'workflow',
      'reset',
      '--query',
      query,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'cause fixed',
      '--yes',
    );
    for (const key of keys) await h.waitForOutcome(key, 'completed', 60_000);
    for (const n of [2, 3, 4]) assert.equal(labelled(n), true);
    // The ledger learns the outcome from the run's last activity, a moment before Temporal closes it.
    for (const key of keys)
      await waitFor(`${key} to be closed as completed`, async () => {
        const { status } = await h.client.workflow.getHandle(key).describe();
        return status.name === 'COMPLETED';
      });
  });
});
