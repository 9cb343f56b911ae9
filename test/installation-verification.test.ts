// Installations first seen in a delivery (installed before hookflow ran) are recorded unverified and
// checked against the API (GET /app/installations/{id}, the App's JWT) by the next reconciliation
// pass: the one GitHub knows becomes active; the one it does not becomes unknown, its deliveries
// refused from then on (403) and those accepted before marked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { reconcileArgs, runReconcilePass } from '../lib/reconcile-client';
import { ReplayRefused, replayDelivery } from '../lib/replay';
import type { FakeGitHub } from './fake-github/server';
import { apiEnv, startFake } from './helpers/api';
import { githubDelivery } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { startHookflow, type Harness } from './helpers/harness';

let fake: FakeGitHub;
let h: Harness;

before(async () => {
  fake = await startFake();
  fake.addRepo('octo/known', { id: 11, installation: '9001', issues: 1 });
  h = await startHookflow({ env: apiEnv(fake) });
});
after(async () => {
  await h?.close();
  await fake?.close();
});

/** A handled event (an installation is noted only for those): an issue closed, no API call. */
const closed = (installation: number, repository: string) =>
  githubDelivery({
    event: 'issues',
    payload: {
      action: 'closed',
      issue: fake.issueJson('octo/known', 1),
      installation: { id: installation },
      repository: { id: 11, full_name: repository },
    },
  });

test('a pass verifies unverified installations: known → active, unknown → refused and marked', async () => {
  assert.equal((await h.post(closed(9001, 'octo/known'))).status, 202);
  assert.equal((await h.post(closed(4040, 'nobody/forged'))).status, 202);
  const status = async (id: string) => (await h.store.getInstallation('github', id))?.status;
  assert.deepEqual([await status('9001'), await status('4040')], ['unverified', 'unverified']);

  // A dry run asks GitHub for nothing and changes nothing.
  const dry = await runReconcilePass(h.client, h.taskQueue, reconcileArgs(h.config, { dryRun: true }));
  assert.equal(dry.installations, undefined);
  assert.deepEqual([await status('9001'), await status('4040')], ['unverified', 'unverified']);

  const summary = await runReconcilePass(h.client, h.taskQueue, reconcileArgs(h.config));
  assert.deepEqual(summary.installations, { verified: 1, unknown: 1, skipped: 0 });
  assert.deepEqual([await status('9001'), await status('4040')], ['active', 'unknown']);

  // Those accepted from the unknown one are marked; the known one's are not.
  const { rows } = await h.store.db.query<{ installation: string; installation_unknown: boolean }>(
    'SELECT installation, installation_unknown FROM deliveries ORDER BY installation',
  );
  assert.deepEqual(
    rows.map((r) => [r.installation, r.installation_unknown]),
    [
      ['4040', true],
      ['9001', false],
    ],
  );
  // The ledger shows the mark, and such a delivery is not replayed (not even with force).
  const [marked] = await h.store.listDeliveries({ installation: '4040', limit: 10 });
  assert.equal(marked?.installationUnknown, true);
  await assert.rejects(
    replayDelivery({ client: h.client, taskQueue: h.taskQueue, store: h.store }, marked, { force: true }),
    (err) => err instanceof ReplayRefused && /installation 4040 is unknown to GitHub/.test(err.message),
  );
  const [known] = await h.store.listDeliveries({ installation: '9001', limit: 10 });
  assert.equal(known?.installationUnknown, false);

  // From now on its deliveries are refused; the known one's are accepted.
  const refused = await h.post(closed(4040, 'nobody/forged'));
  assert.deepEqual(
    [refused.status, refused.body],
    [403, { error: 'installation 4040 is unknown to GitHub (checked against its API)' }],
  );
  assert.equal((await h.post(closed(9001, 'octo/known'))).status, 202);

  // Nothing is left to verify.
  const next = await runReconcilePass(h.client, h.taskQueue, reconcileArgs(h.config));
  assert.deepEqual(next.installations, { verified: 0, unknown: 0, skipped: 0 });

  // An `installation` event (signed with the App's secret, so perhaps forged) does not make an
  // unknown installation active: it is checked again first.
  const created = await h.post(
    githubDelivery({
      event: 'installation',
      payload: {
        action: 'created',
        installation: { id: 4040, account: { login: 'nobody' } },
        repositories: [],
      },
    }),
  );
  assert.equal(created.status, 202);
  await waitFor('the installation event to be handled', async () => (await status('4040')) === 'unverified');
  const again = await runReconcilePass(h.client, h.taskQueue, reconcileArgs(h.config));
  assert.deepEqual(again.installations, { verified: 0, unknown: 1, skipped: 0 });
  assert.equal(await status('4040'), 'unknown');
});
