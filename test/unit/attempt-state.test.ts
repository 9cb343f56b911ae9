// What an activity remembers across attempts: an activity's state travels in its heartbeats; a
// local activity's (which cannot heartbeat, and retries in the worker that runs it) stays in the
// worker, by execution.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { attemptState, beat } from '../../activities/attempt-state';

const execution = (runId: string) => ({ workflowId: 'delivery-1', runId });

test("a local activity's next attempt starts with what the last one remembered; another execution does not", async () => {
  const local = (runId: string, activityId: string, attempt: number) =>
    new MockActivityEnvironment({ isLocal: true, activityId, attempt, workflowExecution: execution(runId) });
  const stateIn = (runId: string, activityId: string, attempt: number) =>
    local(runId, activityId, attempt).run(() => Promise.resolve(attemptState()));
  const heartbeats: unknown[] = [];
  const first = local('run-a', '3', 1);
  first.on('heartbeat', (d: unknown) => heartbeats.push(d));
  await first.run(() => Promise.resolve(beat({ serverErrors: 2 })));
  assert.deepEqual(heartbeats, [], 'a local activity does not heartbeat');
  assert.deepEqual(await stateIn('run-a', '3', 2), { serverErrors: 2 });
  assert.deepEqual(await stateIn('run-a', '4', 2), {}, 'another activity');
  assert.deepEqual(await stateIn('run-b', '3', 2), {}, 'another run');
  assert.deepEqual(
    await stateIn('run-a', '3', 1),
    {},
    'its first attempt again (its task ran again): afresh',
  );
});

test("an activity's state goes out in its heartbeat and comes back in the next attempt's details", async () => {
  const heartbeats: unknown[] = [];
  const first = new MockActivityEnvironment({ activityId: '5', workflowExecution: execution('run-c') });
  first.on('heartbeat', (d: unknown) => heartbeats.push(d));
  await first.run(() => Promise.resolve(beat({ serverErrors: 1 })));
  assert.deepEqual(heartbeats, [{ serverErrors: 1 }]);
  const next = new MockActivityEnvironment({
    activityId: '5',
    attempt: 2,
    heartbeatDetails: heartbeats[0],
    workflowExecution: execution('run-c'),
  });
  assert.deepEqual(await next.run(() => Promise.resolve(attemptState())), { serverErrors: 1 });
});
