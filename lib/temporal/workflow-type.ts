// The name of a workflow that workflows/index.ts exports, checked by the compiler: a misspelt
// workflow type in a routing table, a schedule or a start fails `tsc` instead of a delivery at run
// time. The import is type-only, so no workflow code loads outside the worker's sandbox.
import type * as workflows from '../../workflows';

export type WorkflowType = keyof typeof workflows;
