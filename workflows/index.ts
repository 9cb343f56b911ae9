// The worker's workflows: one per handled event (the front door routes to them in
// server/providers.ts), the repository sync and its reconciliation. Export workflows only: their
// names here are the workflow types lib/temporal/workflow-type.ts checks every start against.
export { onInstallation } from './on-installation';
export { onInstallationRepositories } from './on-installation-repositories';
export { onIssues } from './on-issues';
export { onIssueComment } from './on-issue-comment';
export { onPullRequest } from './on-pull-request';
export { onPush } from './on-push';
export { onProviderEvent } from './on-provider-event';
export { onAppEvent } from './on-app-event';
export { syncRepository } from './sync-repository';
export { reconcileRepository } from './reconcile-repository';
export { replayDeliveries } from './replay-deliveries';
export { reconcileDeliveries } from './reconcile-deliveries';
export { rotateHookSecret } from './rotate-hook-secret';
