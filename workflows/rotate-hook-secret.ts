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
  CancellationScope,
  defineQuery,
  isCancellation,
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
  const finish = (result: 'confirmed' | 'unconfirmed' | 'failed') =>
    // Runs even when the rotation was cancelled: the outcome is counted either way.
    CancellationScope.nonCancellable(() =>
      stored.finishHookRotation({ hookId, rotation, result, retiredAt: status.oldRetiresAt }),
    );
  try {
    const leakedUntil = await stored.beginHookRotation({ hookId, rotation, leak: args.leak });
    if (args.leak) status.oldRetiresAt = leakedUntil;
    await api.setHookSecretOnGitHub({ hookId, rotation });
    status.phase = 'on-github';
    const after = await api.pingManagedHook({ hookId, rotation });
    status.phase = 'confirming';
    status.confirmed = false;
    for (let i = 0; i < CONFIRM_POLLS && !status.confirmed; i++) {
      await sleep(CONFIRM_POLL_MS);
      status.confirmed = await api.hookPingAnswered({ hookId, rotation, after });
    }
    status.oldRetiresAt = await stored.retireOldHookSecrets({
      hookId,
      rotation,
      graceMs: args.leak ? 0 : args.graceMs,
    });
    status.phase = 'grace';
    if (!args.leak) await sleep(args.graceMs);
    await finish(status.confirmed ? 'confirmed' : 'unconfirmed');
    status.phase = 'done';
    status.finishedAt = new Date().toISOString();
    return status;
  } catch (err) {
    const reachedGitHub = status.phase !== 'new-secret';
    status.phase = 'failed';
    status.finishedAt = new Date().toISOString();
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    // Outside the leak mode the new secret stays beside the old one (both verify): nothing that was
    // accepted is refused. In the leak mode the old one is gone, so until GitHub has the new one
    // every delivery is refused: say what to do.
    status.error =
      args.leak && !reachedGitHub
        ? `${reason}; GitHub may still sign with the retired secret, so deliveries are refused until it has the new one: run \`hookflow secrets rotate ${hookId} --now\` again, then redeliver the refused ones from GitHub`
        : reason;
    await finish('failed');
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(
      `rotation of hook ${hookId} failed: ${status.error}`,
      'RotationFailed',
    );
  }
}
