// A hook secret's rotation, as the workflow (workflows/rotate-hook-secret.ts), its activities and
// the CLI (`hookflow secrets`) share it.

export interface RotationArgs {
  hookId: string;
  /** How long the old secret is still accepted once GitHub has the new one (GitHub redelivers for 3 days). */
  graceMs: number;
  /** The leak mode (`--now`): the old secret stops working at once, before GitHub even has the new one. */
  leak: boolean;
}

type RotationPhase = 'new-secret' | 'on-github' | 'confirming' | 'grace' | 'done' | 'failed';

export interface RotationStatus {
  hookId: string;
  phase: RotationPhase;
  startedAt: string;
  /** Whether a ping GitHub signed with the new secret was answered (so hookflow verified it). */
  confirmed: boolean | null;
  /** When the old secret stops being accepted. */
  oldRetiresAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export const ROTATION_STATUS_QUERY = 'rotationStatus';

/** One rotation per hook at a time. */
export const rotationWorkflowId = (hookId: string) => `rotate-secret:github:${hookId}`;
