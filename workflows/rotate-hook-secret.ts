// A managed hook's secret rotation (`hookflow secrets rotate <hook>`), durable: a restart in the
// middle loses nothing, and its state is a query (`hookflow secrets status`).
//   1 a new secret is stored beside the old one (both verify from now on; in the leak mode the old
//     one stops at once);
//   2 it is set on GitHub;
//   3 a ping is asked for and GitHub's delivery log watched until hookflow answered it (then
//     hookflow verified a delivery GitHub signed with the new secret): "confirmed";
//   4 the old secret stops being accepted after the grace period (GitHub redelivers up to 3 days
//     back, with the secret it has when it redelivers), and is then forgotten.
import {
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  ROTATION_STATUS_QUERY,
  type RotationArgs,
  type RotationStatus,
} from '../lib/contracts/secret-rotation';
import { apiActivityOptions, REPLAY_JOB_ACTIVITY } from './activity-options';

const rotationStatusQuery = defineQuery<RotationStatus>(ROTATION_STATUS_QUERY);

/** Storage steps: retried until they go through. */
const stored = proxyActivities<Activities>(REPLAY_JOB_ACTIVITY);
const api = proxyActivities<Activities>(apiActivityOptions(30_000));

/** How often, and how many times, GitHub's delivery log is read for the confirming ping. */
const CONFIRM_POLL_MS = 1_000;
const CONFIRM_POLLS = 30;

export async function rotateHookSecret(args: RotationArgs): Promise<RotationStatus> {
  const { hookId } = args;
  const rotation = `${workflowInfo().workflowId}/${workflowInfo().firstExecutionRunId}`;
  const status: RotationStatus = {
    hookId,
    phase: 'new-secret',
    startedAt: new Date().toISOString(),
    confirmed: null,
    oldRetiresAt: null,
    finishedAt: null,
    error: null,
  };
  setHandler(rotationStatusQuery, () => status);
  try {
    await stored.beginHookRotation({ hookId, rotation, leak: args.leak });
    if (args.leak) status.oldRetiresAt = status.startedAt;
    await api.setHookSecretOnGitHub({ hookId, rotation });
    status.phase = 'on-github';
    const since = await api.pingManagedHook({ hookId, rotation });
    status.phase = 'confirming';
    status.confirmed = false;
    for (let i = 0; i < CONFIRM_POLLS && !status.confirmed; i++) {
      await sleep(CONFIRM_POLL_MS);
      status.confirmed = await api.hookPingAnswered({ hookId, rotation, since });
    }
    status.oldRetiresAt = await stored.retireOldHookSecrets({
      hookId,
      rotation,
      graceMs: args.leak ? 0 : args.graceMs,
    });
    status.phase = 'grace';
    if (!args.leak) await sleep(args.graceMs);
    await stored.finishHookRotation({
      hookId,
      rotation,
      result: status.confirmed ? 'confirmed' : 'unconfirmed',
    });
    status.phase = 'done';
    status.finishedAt = new Date().toISOString();
    return status;
  } catch (err) {
    // The new secret stays beside the old one (both verify): nothing is refused that was accepted.
    status.phase = 'failed';
    status.error =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    status.finishedAt = new Date().toISOString();
    await stored.finishHookRotation({ hookId, rotation, result: 'failed' });
    throw ApplicationFailure.nonRetryable(
      `rotation of hook ${hookId} failed: ${status.error}`,
      'RotationFailed',
    );
  }
}
