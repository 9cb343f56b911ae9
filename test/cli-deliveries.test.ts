// `hookflow deliveries list` and `show`: a real CLI process reading the ledger of a real hookflow
// (PostgreSQL) and the runs of its workflows (the run's Temporal).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

const hookflow = runCli;

interface Listed {
  deliveryId: string;
  workflowId: string;
  event: string;
  action: string | null;
  installation: string | null;
  repository: string | null;
  status: string;
  receivedAt: string;
  attempts: number;
}

describe('hookflow deliveries (CLI)', () => {
  let h: Harness;
  let env: Record<string, string | undefined>;
  const ids = { completed: randomUUID(), failed: randomUUID(), ignored: randomUUID() };
  let beforeAll: string;

  before(async () => {
    h = await startHookflow();
    env = cliEnv(h);
    beforeAll = new Date(Date.now() - 1_000).toISOString();
    const completed = await h.post(
      githubDelivery({
        event: 'issues',
        id: ids.completed,
        payload: {
          action: 'opened',
          issue: { number: 7 },
          repository: { full_name: 'acme/api' },
          installation: { id: 42 },
        },
      }),
    );
    await h.waitForOutcome(String(completed.body.workflowId), 'completed');
    // An installation event naming no installation fails its workflow; sent twice, it runs twice.
    const failing = githubDelivery({ event: 'installation', id: ids.failed, payload: { action: 'created' } });
    const failed = await h.post(failing);
    const failedKey = String(failed.body.workflowId);
    // The ledger says `failed` from the run's last activity, a moment before Temporal closes the
    // run; a redelivery runs again only once the run is closed.
    const closedFailedRuns = (n: number) =>
      waitFor(`${n} failed runs`, async () => {
        const runs = await h.client.workflow.count(
          `WorkflowId = "${failedKey}" AND ExecutionStatus = "Failed"`,
        );
        return runs.count === n;
      });
    await closedFailedRuns(1);
    assert.equal((await h.post(failing)).body.status, 'accepted');
    await closedFailedRuns(2);
    await waitFor('the second run to be recorded', async () => {
      const [d] = await h.store.findDeliveries(ids.failed);
      return d?.status === 'failed' && d.attempts === 2;
    });
    const ignored = await h.post(
      githubDelivery({ event: 'watch', id: ids.ignored, payload: { action: 'started' } }),
    );
    assert.equal(ignored.body.status, 'ignored', JSON.stringify(ignored.body));
  });
  after(async () => {
    await h.close();
  });

  const list = async (...args: string[]): Promise<Listed[]> => {
    const r = await hookflow(['deliveries', 'list', '--json', ...args], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Listed[];
  };

  test('list --json: every delivery, newest first, with its outcome and runs so far', async () => {
    const all = await list();
    assert.deepEqual(
      all.map((d) => [d.deliveryId, d.status, d.attempts]),
      [
        [ids.ignored, 'ignored', 0],
        [ids.failed, 'failed', 2],
        [ids.completed, 'completed', 1],
      ],
    );
    const done = all[2];
    assert.equal(done.workflowId, `github:-:${ids.completed}`);
    assert.deepEqual(
      [done.event, done.action, done.installation, done.repository],
      ['issues', 'opened', '42', 'acme/api'],
    );
    assert.ok(Date.parse(done.receivedAt) >= Date.parse(beforeAll));
  });

  test('list filters: status, event and action, installation, repository, time, limit', async () => {
    const only = async (...args: string[]) => (await list(...args)).map((d) => d.deliveryId);
    assert.deepEqual(await only('--status', 'failed'), [ids.failed]);
    assert.deepEqual(await only('--event', 'issues', '--action', 'opened'), [ids.completed]);
    assert.deepEqual(await only('--installation', '42'), [ids.completed]);
    assert.deepEqual(await only('--repository', 'acme/api'), [ids.completed]);
    assert.deepEqual(await only('--since', '1h', '--limit', '1'), [ids.ignored]);
    assert.deepEqual(await only('--until', beforeAll), []);
  });

  test('list for people: a table', async () => {
    const r = await hookflow(['deliveries', 'list', '--status', 'completed'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^RECEIVED\s+STATUS\s+EVENT\s+REPOSITORY\s+ATTEMPTS\s+DELIVERY ID$/m);
    assert.match(r.stdout, new RegExp(`completed\\s+issues\\.opened\\s+acme/api\\s+1\\s+${ids.completed}`));
  });

  test('show: the ledger row and the runs of its workflow, each failure with its reason; the payload when asked', async () => {
    const r = await hookflow(['deliveries', 'show', ids.failed, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as Listed & {
      reason: string;
      runs: { status: string; failure: string }[];
    };
    assert.equal(shown.status, 'failed');
    assert.match(shown.reason, /names no installation/);
    assert.deepEqual(
      shown.runs.map((run) => run.status),
      ['failed', 'failed'],
    );
    for (const run of shown.runs) assert.match(run.failure, /names no installation/);
    assert.equal('payload' in shown, false, 'no payload unless asked');

    const byWorkflowId = await hookflow(
      ['deliveries', 'show', `github:-:${ids.completed}`, '--payload', '--json'],
      env,
    );
    assert.equal(byWorkflowId.code, 0, byWorkflowId.stderr);
    const withPayload = JSON.parse(byWorkflowId.stdout) as {
      runs: { status: string }[];
      payload: { issue: { number: number } };
    };
    assert.deepEqual(
      withPayload.runs.map((run) => run.status),
      ['completed'],
    );
    assert.equal(withPayload.payload.issue.number, 7);

    const human = await hookflow(['deliveries', 'show', ids.failed], env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^status\s+failed: .*names no installation/m);
    assert.equal(human.stdout.match(/^run\s+.* failed: /gm)?.length, 2);
  });

  test('help lists the commands; bad arguments exit 2 with the reason; failures exit 1 with what to do', async () => {
    const help = await hookflow(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /sync \[options\] <owner\/repo>/);
    assert.match(help.stdout, /deliveries/);
    const listHelp = await hookflow(['deliveries', 'list', '--help'], env);
    assert.equal(listHelp.code, 0);
    for (const o of [
      '--status',
      '--event',
      '--action',
      '--installation',
      '--repository',
      '--since',
      '--until',
      '--limit',
      '--json',
    ])
      assert.ok(listHelp.stdout.includes(o), o);

    const badStatus = await hookflow(['deliveries', 'list', '--status', 'lost'], env);
    assert.equal(badStatus.code, 2);
    assert.match(
      badStatus.stderr,
      /'--status <status>' argument 'lost' is invalid\. expected one of: received, accepted/,
    );
    const badSince = await hookflow(['deliveries', 'list', '--since', 'yesterday'], env);
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /expected a duration back from now/);
    const badLimit = await hookflow(['deliveries', 'list', '--limit', '0'], env);
    assert.equal(badLimit.code, 2);
    const noId = await hookflow(['deliveries', 'show'], env);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /missing required argument 'id'/);

    const unknown = await hookflow(['deliveries', 'show', randomUUID()], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no delivery .* in the ledger/);
    const noDatabase = await hookflow(['deliveries', 'list'], { ...env, DATABASE_URL: undefined });
    assert.equal(noDatabase.code, 1);
    assert.match(noDatabase.stderr, /set DATABASE_URL/);
  });
  // Last: it runs the deliveries again, which changes what the tests above list.
  test('replay: a failed delivery runs again, linked to the run it replays; a completed one only with --force', async () => {
    const [before] = await h.store.findDeliveries(ids.failed);
    const r = await hookflow(['replay', ids.failed, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const replayed = JSON.parse(r.stdout) as {
      workflowId: string;
      runId: string;
      previousStatus: string;
      replayOf: string;
    };
    assert.equal(replayed.previousStatus, 'failed');
    assert.equal(replayed.replayOf, before.runId);
    const run = await h.client.workflow.getHandle(replayed.workflowId, replayed.runId).describe();
    assert.equal(run.memo?.hookflowReplayOf, before.runId);
    await waitFor('the replayed run to be recorded', async () => {
      const [d] = await h.store.findDeliveries(ids.failed);
      return d?.status === 'failed' && d.attempts === 3 && d.runId === replayed.runId;
    });

    const refused = await hookflow(['replay', ids.completed], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /completed: replaying it runs its handlers again \(add --force/);
    const forced = await hookflow(['replay', `github:-:${ids.completed}`, '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, new RegExp(`replaying ${ids.completed} \\(was completed\\): run `));
    await waitFor('the forced run to complete', async () => {
      const [d] = await h.store.findDeliveries(ids.completed);
      return d?.status === 'completed' && d.attempts === 2;
    });

    const ignored = await hookflow(['replay', ids.ignored], env);
    assert.equal(ignored.code, 1);
    assert.match(ignored.stderr, /was ignored, not handled: there is nothing to replay/);
    const unknown = await hookflow(['replay', randomUUID()], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no delivery .* in the ledger/);
    const bad = await hookflow(['replay', 'not an id'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected a delivery ID \(GUID\) or a workflow ID/);
  });
});
