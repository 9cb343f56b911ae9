// The worker's activities: one factory per business verb, composed over the same injected
// dependencies (samples-typescript activities-dependency-injection), so tests hand them a real store
// of their own. The keys of the returned object are the activity names that workflow histories
// record: renaming one breaks the replay of every history that scheduled it.
import type { ActivityDeps } from './activity-deps';
import { createAppApiActivities } from './app-api-activities';
import { createBeginDelivery } from './begin-delivery';
import { createDeliveryActivities } from './delivery-activities';
import { createHandlerActivities } from './handler-activities';
import { createHookRotationActivities } from './hook-rotation-activities';
import { createInstallationActivities } from './installation-activities';
import { createInstallationVerification } from './installation-verification';
import { createReplayJobActivities } from './replay-job-activities';
import { createReconcileActivities } from './reconcile-activities';
import { createRepositoryEventActivities } from './repository-event-activities';
import { createSyncActivities } from './sync-activities';
import { createWelcomeActivities } from './welcome-activities';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  const handlers = createHandlerActivities(deps);
  return {
    ...createSyncActivities(deps),
    ...createRepositoryEventActivities(deps),
    ...createWelcomeActivities(deps),
    ...createDeliveryActivities(deps),
    ...createInstallationActivities(deps),
    ...createReplayJobActivities(deps),
    ...createReconcileActivities(deps),
    ...handlers,
    ...createAppApiActivities(deps),
    ...createHookRotationActivities(deps),
    ...createInstallationVerification(deps),
    ...createBeginDelivery(deps, (ref) => handlers.planHandlers(ref)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
