// A delivery's storage-only steps run as local activities: in the worker that runs the workflow
// task, with no round trip through the Temporal server per step. The first (beginDelivery:
// summarise, apply to the synced tables, which write-back steps are on, which handlers run) and the
// last (record the outcome) are one local activity each, so a delivery with no API call is one
// workflow task (a no-op delivery went from ~600 ms to about 100 ms end to end here). Calls to the
// provider's API stay ordinary activities: their rate-limit waits and long retries belong on the
// server's timers. https://docs.temporal.io/local-activity
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BeginOptions, Begun } from '../activities/begin-delivery';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { DELIVERY_ACTIVITY, FINISH_DELIVERY_ACTIVITY, localOptions } from './activity-options';
import { APP_HANDLERS_PATCH } from './app-handlers';

export type { Begun };

/** The patch that made the storage-only steps local; histories from before it replay as they ran. */
const LOCAL_STEPS_PATCH = 'local-delivery-steps';

/** The steps as ordinary activities, as runs from before the patch scheduled them. */
export const remoteSteps = proxyActivities<Activities>(DELIVERY_ACTIVITY);

const LOCAL_BEGIN = localOptions(DELIVERY_ACTIVITY);
const { beginDelivery } = proxyLocalActivities<Activities>(LOCAL_BEGIN);
const LOCAL_FINISH = localOptions(FINISH_DELIVERY_ACTIVITY);
const remoteFinish = proxyActivities<Activities>(FINISH_DELIVERY_ACTIVITY);
const localFinish = proxyLocalActivities<Activities>(LOCAL_FINISH);

/**
 * The one patch marker a delivery run records now, standing for every patch in Folded: each patch
 * the SDK sees records a marker and upserts the `TemporalChangeVersion` search attribute (a
 * visibility write on the server), so a run that checked each of them paid for all of them.
 */
const FOLDED_PATCH = 'delivery-patches-1';
/** The patches FOLDED_PATCH stands for. A run recorded with their own markers replays with them. */
type Folded = typeof LOCAL_STEPS_PATCH | typeof APP_HANDLERS_PATCH;

/**
 * `patched(id)` for a delivery patch. A run made by this code: true (its one marker says so). A run
 * recorded before, on replay: whatever its own marker for `id` says. A run begun on the code before
 * and going on on this one: its replayed tasks read their own markers, and its first live call
 * records FOLDED_PATCH (one more marker) and is true, as `patched(id)` alone would be there.
 * Workers of the code before cannot replay a run that holds FOLDED_PATCH: do not roll back past it
 * while such runs are open.
 */
export function deliveryPatched(id: Folded): boolean {
  return patched(FOLDED_PATCH) || patched(id);
}

/** Whether this run has the local steps (call it before the run's first step, and as often as needed). */
export const localSteps = (): boolean => deliveryPatched(LOCAL_STEPS_PATCH);

/** The delivery's first step, local (runs with the patch only). */
export const begin = (ref: DeliveryRef, o: BeginOptions = {}): Promise<Begun> =>
  beginDelivery.executeWithOptions({ ...LOCAL_BEGIN, summary: 'read, apply, plan' }, [ref, o]);

/** The step that records the delivery's outcome in the ledger (local in runs that have the patch), and its options. */
export const finishStep = () =>
  localSteps()
    ? { finishDelivery: localFinish.finishDelivery, options: LOCAL_FINISH }
    : { finishDelivery: remoteFinish.finishDelivery, options: FINISH_DELIVERY_ACTIVITY };
