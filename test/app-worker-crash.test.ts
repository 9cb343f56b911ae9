// A user's handler whose worker process is killed (SIGKILL) after it posted a comment: the handler
// runs again on another worker, its comment is answered from the journal, and exactly one comment
// exists. Then two installations' handlers run at once across two workers, keeping GitHub's limits.
// Both with handlers as activities (a missed heartbeat finds the lost worker) and as local
// activities (the workflow task's timeout finds it, and the whole task runs again elsewhere).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, installRepo, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';
import { exited, spawnWorker } from './helpers/worker-process';

const APP = path.join(__dirname, 'fixtures', 'apps', 'triage.ts');
const repoOf = (name: string, id: number) => ({
  id,
  full_name: `octo/${name}`,
  name,
  owner: { login: 'octo' },
});

for (const local of [false, true])
  describe(`handlers across worker processes, as ${local ? 'local activities' : 'activities'}`, () => {
    let fake: FakeGitHub;
    let h: Harness;
    const children: ChildProcess[] = [];
    let env: Record<string, string>;
    before(async () => {
      fake = await startFake();
      env = apiEnv(fake, {
        HOOKFLOW_HANDLER_HEARTBEAT_MS: '1000',
        ...(local ? { HOOKFLOW_LOCAL_HANDLERS: 'true' } : {}),
      });
      h = await startHookflow({ app: APP, worker: false, env });
      await installRepo(h, fake, 'octo/crash', { id: 92, installation: '920', issues: 8 });
      await installRepo(h, fake, 'octo/other', { id: 93, installation: '930', issues: 8 });
    });
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map(exited));
      await h?.close();
      await fake?.close();
    });
    const worker = () => {
      const c = spawnWorker(h, { ...env, HOOKFLOW_APP: APP });
      children.push(c);
      return c;
    };
    const opened = (name: string, id: number, installation: number, number: number) =>
      githubDelivery({
        event: 'issues',
        payload: {
          action: 'opened',
          issue: fake.issueJson(`octo/${name}`, number),
          repository: repoOf(name, id),
          installation: { id: installation },
        },
      });
    const posted = (name: string, number: number, what: 'comments' | 'labels') =>
      fake.requests.filter(
        (r) =>
          r.method === 'POST' && r.path === `/repos/octo/${name}/issues/${number}/${what}` && r.status < 300,
      ).length;

    test('a worker killed after the comment: the handler finishes on another worker, with one comment', async () => {
      let arrived = false;
      let release!: () => void;
      fake.script({
        method: 'GET',
        path: /^\/repos\/octo\/crash$/,
        times: 1,
        hold: { until: new Promise<void>((r) => (release = r)), arrived: () => (arrived = true) },
      });
      const first = worker();
      const answer = await h.post(opened('crash', 92, 920, 1));
      assert.equal(answer.status, 202);
      const key = String(answer.body.workflowId);
      await waitFor(
        'the handler to post its comment and read the repository',
        () => Promise.resolve(arrived),
        120_000,
      );
      assert.equal(posted('crash', 1, 'comments'), 1);
      first.kill('SIGKILL');
      await exited(first);
      release();

      worker();
      await h.waitForOutcome(key, 'completed', 120_000);
      assert.equal(posted('crash', 1, 'comments'), 1, 'exactly one comment');
      assert.equal(posted('crash', 1, 'labels'), 1);
      assert.match((await h.store.getDelivery(key))?.reason ?? '', /1 answered from the journal/);
    });

    test("two installations' handlers at once across two workers: every issue handled once, no limit broken", async () => {
      worker(); // beside the one the test before left running
      const numbers = [2, 3, 4, 5, 6];
      const answers = await Promise.all(
        numbers.flatMap((n) => [h.post(opened('crash', 92, 920, n)), h.post(opened('other', 93, 930, n))]),
      );
      assert.ok(answers.every((a) => a.status === 202 && a.body.status === 'accepted'));
      for (const a of answers) await h.waitForOutcome(String(a.body.workflowId), 'completed', 120_000);
      for (const n of numbers) {
        for (const name of ['crash', 'other']) {
          assert.equal(posted(name, n, 'comments'), 1, `${name}#${n} commented once`);
          assert.equal(posted(name, n, 'labels'), 1, `${name}#${n} labelled once`);
        }
      }
      assert.deepEqual(fake.violations, []);
    });
  });
