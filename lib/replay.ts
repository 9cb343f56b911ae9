// Replaying a delivery: its workflow runs again, from the body the ledger kept. The body is trusted
// as stored, not verified again: the ledger keeps no signature, and nothing reaches it before its
// signature was verified at the front door (a row is written only after the HMAC check passed).
// A replay never runs a delivery twice at once (the workflow ID is the delivery key, and a start
// while a run is open fails); a completed delivery runs again only when forced, since a handler may
// not be idempotent. Each replayed run carries, in its memo, the run it replays.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { Store } from './storage';
import type { DeliverySummary } from './storage/delivery-listing';
import { searchAttributesFor } from './temporal/search-attributes';
import { deliveryDetails, parsedPayload, summariseDelivery } from './delivery-summary';

export class ReplayRefused extends Error {}

export interface Replayed {
  deliveryId: string;
  workflowId: string;
  runId: string;
  /** The ledger outcome before the replay. */
  previousStatus: string;
  /** The run replayed (null when none had run). */
  replayOf: string | null;
}

export async function replayDelivery(
  deps: { client: Client; taskQueue: string; store: Store; searchRepository?: boolean | undefined },
  delivery: DeliverySummary,
  o: { force: boolean; job?: string },
): Promise<Replayed> {
  const entry = await deps.store.getDelivery(delivery.workflowId);
  if (!entry) throw new ReplayRefused(`${delivery.workflowId} is no longer in the ledger`);
  if (delivery.workflowType === null)
    throw new ReplayRefused(
      `${delivery.deliveryId} was ${delivery.status}, not handled: there is nothing to replay`,
    );
  if (entry.rawBody === null)
    throw new ReplayRefused(
      `${delivery.deliveryId}: its payload is no longer kept (its installation was removed), so it cannot run again`,
    );
  // GitHub does not know its installation (checked against its API): whatever sent it, it is not run again.
  if (delivery.installationUnknown)
    throw new ReplayRefused(
      `${delivery.deliveryId}: installation ${delivery.installation ?? '-'} is unknown to GitHub (checked against its API), so its deliveries are not run again`,
    );
  if (delivery.status === 'completed' && !o.force)
    throw new ReplayRefused(
      `${delivery.deliveryId} completed: replaying it runs its handlers again (add --force if they are safe to repeat)`,
    );
  const payload = parsedPayload(entry.contentType, entry.rawBody);
  const reuse: WorkflowIdReusePolicy =
    delivery.status === 'completed' ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY';
  try {
    const handle = await deps.client.workflow.start(delivery.workflowType, {
      taskQueue: deps.taskQueue,
      workflowId: entry.ref.key,
      args: [entry.ref],
      workflowIdReusePolicy: reuse,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: searchAttributesFor(entry.ref, {
        replayJob: o.job,
        repository: deps.searchRepository,
      }),
      staticSummary: `${summariseDelivery(entry.ref, payload)} (replay)`,
      staticDetails: `${deliveryDetails(entry.ref, payload, new Date(delivery.receivedAt))}  \n**Replay of run** ${entry.runId ?? '-'}${o.job ? `  \n**Replay job** ${o.job}` : ''}`,
      memo: {
        hookflowReplayOf: entry.runId,
        hookflowReplayedAt: new Date().toISOString(),
        ...(o.job ? { hookflowReplayJob: o.job } : {}),
      },
    });
    await deps.store.markReplayed(entry.ref.key, handle.firstExecutionRunId);
    return {
      deliveryId: delivery.deliveryId,
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      previousStatus: delivery.status,
      replayOf: entry.runId,
    };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new ReplayRefused(
        `${delivery.deliveryId} is running now, or its last run did not fail (${delivery.status}): not replayed`,
      );
    throw err;
  }
}
