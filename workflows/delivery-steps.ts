// A delivery's storage-only steps (summarise it, apply it to the synced tables, record its outcome)
// run as local activities: in the worker that runs the workflow task, with no round trip through
// the Temporal server per step, so a whole delivery is one workflow task where it used to be one
// per activity (a no-op delivery went from ~600 ms to tens of ms). They touch only hookflow's own
// storage and are retried the same way; calls to the provider's API stay ordinary activities
// (their rate-limit waits and long retries belong on the server's timers).
// https://docs.temporal.io/local-activity
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DELIVERY_ACTIVITY, FINISH_DELIVERY_ACTIVITY, localOptions } from './activity-options';

/** The patch that made the storage-only steps local; histories from before it replay as they ran. */
export const LOCAL_STEPS_PATCH = 'local-delivery-steps';

type Steps = Pick<
  Activities,
  'describeDelivery' | 'applyIssueEvent' | 'applyCommentEvent' | 'applyPullRequestEvent' | 'welcomeSteps'
>;

const remote = proxyActivities<Activities>(DELIVERY_ACTIVITY);
const local = proxyLocalActivities<Activities>(localOptions(DELIVERY_ACTIVITY));
const LOCAL_FINISH = localOptions(FINISH_DELIVERY_ACTIVITY);
const remoteFinish = proxyActivities<Activities>(FINISH_DELIVERY_ACTIVITY);
const localFinish = proxyLocalActivities<Activities>(LOCAL_FINISH);

/** Whether this run has the local steps (call it before the run's first step, and as often as needed). */
export const localSteps = (): boolean => patched(LOCAL_STEPS_PATCH);

/** The storage-only steps, local in runs that have the patch. */
export const deliverySteps = (): Steps => (localSteps() ? local : remote);

/** The step that records the delivery's outcome in the ledger (local in runs that have the patch), and its options. */
export const finishStep = () =>
  localSteps()
    ? { finishDelivery: localFinish.finishDelivery, options: LOCAL_FINISH }
    : { finishDelivery: remoteFinish.finishDelivery, options: FINISH_DELIVERY_ACTIVITY };
