// The name of a workflow that workflows/index.ts exports, checked by the compiler: a misspelt
// workflow type in a routing table, a schedule or a start fails `tsc` instead of a delivery at run
// time. The import is type-only, so no workflow code loads outside the worker's sandbox.
import type * as workflows from '../../workflows';

export type WorkflowType = keyof typeof workflows;

/**
 * Every workflow type, at run time (a user's app may not export workflows by these names). The
 * compiler keeps the list whole: a workflow added to workflows/index.ts and missing here fails `tsc`.
 */
export const WORKFLOW_TYPES: readonly string[] = Object.keys({
  onInstallation: true,
  onInstallationRepositories: true,
  onIssues: true,
  onIssueComment: true,
  onPullRequest: true,
  onPush: true,
  onProviderEvent: true,
  onAppEvent: true,
  syncRepository: true,
  reconcileRepository: true,
  replayDeliveries: true,
  reconcileDeliveries: true,
  rotateHookSecret: true,
} satisfies Record<WorkflowType, true>);
