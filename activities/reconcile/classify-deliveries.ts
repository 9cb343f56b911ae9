// What a GUID in GitHub's delivery log means for hookflow, as pure functions. The log has one entry
// per attempt (the original and each redelivery share the GUID), newest first; a GUID is done once
// any attempt was delivered OK, and it is missed when none was and hookflow never recorded it.
// https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries
import type { DeliveryOutcome } from '../../lib/contracts/delivery-ref';
import type { RedeliveryState } from '../../lib/storage/reconcile-state';

/** One attempt as the log lists it: only the fields the verdict needs. */
export interface LoggedAttempt {
  /** The log entry's ID: what `POST …/deliveries/{id}/attempts` names. */
  id: string;
  guid: string;
  deliveredAt: number;
  ok: boolean;
}

/**
 * A log item, checked: GitHub's `status` is "OK" for a delivery it counts as delivered; a 2xx
 * `status_code` is taken as delivered too, so a differently worded status never causes a resend.
 * Undefined for an item without a usable id, GUID or time.
 */
export function loggedAttempt(item: unknown): LoggedAttempt | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { id, guid, delivered_at, status, status_code } = item as Record<string, unknown>;
  const deliveredAt = typeof delivered_at === 'string' ? Date.parse(delivered_at) : NaN;
  if ((typeof id !== 'number' && typeof id !== 'string') || !/^\d{1,20}$/.test(String(id))) return undefined;
  if (typeof guid !== 'string' || !/^[\w.:-]{1,200}$/.test(guid) || Number.isNaN(deliveredAt))
    return undefined;
  const code = typeof status_code === 'number' ? status_code : 0;
  return { id: String(id), guid, deliveredAt, ok: status === 'OK' || (code >= 200 && code < 300) };
}

export function groupByGuid(attempts: Iterable<LoggedAttempt>): Map<string, LoggedAttempt[]> {
  const groups = new Map<string, LoggedAttempt[]>();
  for (const a of attempts) {
    const g = groups.get(a.guid);
    if (g) g.push(a);
    else groups.set(a.guid, [a]);
  }
  return groups;
}

export type Verdict =
  | 'done'
  | 'missed'
  | 'failed-in-hookflow'
  | 'answered-late'
  | 'in-flight'
  | 'still-failing'
  | 'unrecoverable';

/** A request this close to the window's edge could reach GitHub after the delivery left it. */
export const WINDOW_MARGIN_MS = 10 * 60_000;

/**
 * The verdict on one GUID. `outcome` is the ledger's, undefined when hookflow never recorded it;
 * `asked` is how hookflow's own earlier request for it went, undefined when it never asked (or when
 * its claim was left `sending` so long ago that no request of it can still be on its way).
 */
export function verdictOf(
  attempts: LoggedAttempt[],
  known: { outcome: DeliveryOutcome | undefined; asked: RedeliveryState | undefined },
  now: number,
  windowMs: number,
): Verdict {
  // Whatever GitHub's log says, the delivery arrived: a run that failed in hookflow is not GitHub's
  // to send again, but hookflow's to replay from the ledger once its cause is fixed.
  if (known.outcome === 'failed' || known.outcome === 'dead') return 'failed-in-hookflow';
  if (attempts.some((a) => a.ok)) return 'done';
  if (known.outcome !== undefined) return 'answered-late';
  // Being asked for right now by another pass: its answer (a 5xx may release it) is not known yet.
  if (known.asked === 'sending') return 'in-flight';
  if (known.asked === 'expired') return 'unrecoverable';
  if (known.asked !== undefined) return 'still-failing';
  const first = Math.min(...attempts.map((a) => a.deliveredAt));
  if (first < now - windowMs + WINDOW_MARGIN_MS) return 'unrecoverable';
  return 'missed';
}

/** The attempt to ask GitHub to send again: the newest failed one, as GitHub's own script does. */
export function attemptToRedeliver(attempts: LoggedAttempt[]): LoggedAttempt {
  return attempts.reduce((newest, a) => (a.deliveredAt > newest.deliveredAt ? a : newest));
}

/** Whether to fetch the next page: the log is newest first, so a page reaching below `floor` is the last. */
export function listBelow(page: LoggedAttempt[], floor: number): boolean {
  return page.length > 0 && Math.min(...page.map((a) => a.deliveredAt)) < floor;
}
