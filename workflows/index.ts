// One workflow per handled event; the front door names them in server/providers.ts.
export { onInstallation } from './on-installation';
export { onInstallationRepositories } from './on-installation-repositories';
export { onIssues } from './on-issues';
export { onIssueComment } from './on-issue-comment';
export { onPullRequest } from './on-pull-request';
export { onPush } from './on-push';
export { onProviderEvent } from './on-provider-event';
export { syncRepository } from './sync-repository';
export { reconcileRepository } from './reconcile-repository';
