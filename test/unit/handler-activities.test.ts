// The handler activities' decisions that need no services: which deliveries an app's handlers take
// (GitHub's only), the plan's code digests, and a retry that finds other code under a planned name.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHandlerActivities } from '../../activities/handler-activities';
import { loadApp } from '../../app/load-app';
import type { DeliveryRef } from '../../lib/contracts/delivery-ref';
import { FAILURE } from '../../lib/contracts/failure-types';
import { createLogger } from '../../lib/logger';

const logger = createLogger('silent');
const APP = path.join(__dirname, '..', 'fixtures', 'apps', 'triage.ts');

const ref = (provider: string): DeliveryRef => ({
  key: `${provider}:-:d1`,
  provider,
  source: provider,
  hookId: '-',
  deliveryId: 'd1',
  event: 'issues',
  action: 'opened',
  installation: '1',
  repository: 'octo/app',
});

async function activities() {
  const app = await loadApp(APP, logger);
  const deps = {
    store: undefined as never,
    api: { token: undefined } as never,
    github: undefined,
    logger,
    githubApiUrl: 'https://api.github.com',
    app,
  };
  return createHandlerActivities(deps);
}

test("a GitHub delivery gets the app's handlers, with their code digests; another provider's gets none", async () => {
  const a = await activities();
  const plan = await a.planHandlers(ref('github'));
  assert.deepEqual(plan.handlers, ['issues.opened#1']);
  assert.match(plan.fingerprints?.['issues.opened#1'] ?? '', /^[0-9a-f]{16}$/);
  const other = await a.planHandlers(ref('trulinks'));
  assert.deepEqual([other.handlers, other.workflows], [[], []]);
});

test('a retry that finds other code under the planned name fails it for good, saying so', async () => {
  const a = await activities();
  await assert.rejects(
    new MockActivityEnvironment().run(() =>
      a.runHandler(ref('github'), 'issues.opened#1', '0000000000000000'),
    ),
    (err: unknown) =>
      err instanceof ApplicationFailure &&
      err.type === FAILURE.handlerMissing &&
      err.nonRetryable &&
      /not the code planned/.test(err.message),
  );
});

test('a planned handler the app no longer has fails for good, naming the app', async () => {
  const a = await activities();
  await assert.rejects(
    new MockActivityEnvironment().run(() => a.runHandler(ref('github'), 'issues.closed#1')),
    (err: unknown) =>
      err instanceof ApplicationFailure &&
      err.type === FAILURE.handlerMissing &&
      /triage\.ts/.test(err.message),
  );
});
