// What the front door hands to a workflow: a small reference to a delivery. The payload itself
// stays in the ledger (it may be 25 MB and may carry personal data), and activities read it there.
// A contract: deterministic, no imports, so workflow code may use it.

export interface DeliveryRef {
  /** `provider:hookId:deliveryId`; also the workflow ID. */
  key: string;
  provider: string;
  /** The secret set that verified it: `github`, `github:hook:<id>` or a declarative provider's name. */
  source: string;
  hookId: string;
  deliveryId: string;
  event: string;
  action: string | null;
  installation: string | null;
  repository: string | null;
}

/** Hooks without an ID header (a declarative provider, or an old sender) share the `-` hook. */
export const NO_HOOK_ID = '-';

export function deliveryKey(provider: string, hookId: string, deliveryId: string): string {
  return `${provider}:${hookId}:${deliveryId}`;
}

/** A delivery's state in the ledger; a workflow writes the last two. */
export const DELIVERY_OUTCOMES = [
  'received',
  'accepted',
  'queued',
  'ignored',
  'completed',
  'failed',
  // Temporal refused its start (not an outage) too often: out of the outbox, waiting for a replay.
  'dead',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
