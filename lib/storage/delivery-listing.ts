// The ledger read as a list, for people: `hookflow deliveries list` and `show`. Newest first, each
// filter an equality or a time bound on an indexed column, and every value a bound parameter.
import type { DeliveryOutcome } from '../contracts/delivery-ref';
import type { Queryable } from './db';
import type { DeliveryRow } from './ledger';

export interface DeliveryFilter {
  status?: DeliveryOutcome | undefined;
  event?: string | undefined;
  action?: string | undefined;
  installation?: string | undefined;
  repository?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
}

export interface DeliverySummary {
  /** The provider's delivery ID (GitHub's `X-GitHub-Delivery` GUID). */
  deliveryId: string;
  /** The delivery key, which is also its workflow's ID. */
  workflowId: string;
  event: string;
  action: string | null;
  installation: string | null;
  /** Its installation was found unknown to GitHub (checked against its API) after it was accepted. */
  installationUnknown: boolean;
  repository: string | null;
  status: DeliveryOutcome;
  reason: string | null;
  receivedAt: string;
  finishedAt: string | null;
  /** Runs of its workflow so far: the ones that ended, and the one running now. */
  attempts: number;
  /** How often the provider sent it. */
  received: number;
  hookId: string;
  source: string;
  workflowType: string | null;
  runId: string | null;
}

export interface SummaryRow extends DeliveryRow {
  outcome: DeliveryOutcome;
  reason: string | null;
  received_at: Date;
  finished_at: Date | null;
  finished_runs: number;
  receive_count: number;
  workflow_type: string | null;
  run_id: string | null;
  installation_unknown: boolean;
}

export const COLUMNS = `delivery_key, provider, source, hook_id, delivery_id, event, action, installation, repository,
  outcome, reason, received_at, finished_at, finished_runs, receive_count, workflow_type, run_id,
  installation_unknown`;

export const toSummary = (r: SummaryRow): DeliverySummary => ({
  deliveryId: r.delivery_id,
  workflowId: r.delivery_key,
  event: r.event,
  action: r.action,
  installation: r.installation,
  installationUnknown: r.installation_unknown,
  repository: r.repository,
  status: r.outcome,
  reason: r.reason,
  receivedAt: new Date(r.received_at).toISOString(),
  finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  attempts: r.finished_runs + (r.outcome === 'accepted' ? 1 : 0),
  received: r.receive_count,
  hookId: r.hook_id,
  source: r.source,
  workflowType: r.workflow_type,
  runId: r.run_id,
});

/** The filter as a WHERE clause (empty when there is none) over `params`, which it appends to. */
export function filterWhere(f: Omit<DeliveryFilter, 'limit'>, params: unknown[]): string {
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status !== undefined) add('outcome = ?', f.status);
  if (f.event !== undefined) add('event = ?', f.event);
  if (f.action !== undefined) add('action = ?', f.action);
  if (f.installation !== undefined) add('installation = ?', f.installation);
  if (f.repository !== undefined) add('repository = ?', f.repository);
  if (f.since !== undefined) add('received_at >= ?', f.since);
  if (f.until !== undefined) add('received_at < ?', f.until);
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
}

export async function listDeliveries(q: Queryable, f: DeliveryFilter): Promise<DeliverySummary[]> {
  const params: unknown[] = [];
  const where = filterWhere(f, params);
  params.push(f.limit);
  const { rows } = await q.query<SummaryRow>(
    `SELECT ${COLUMNS} FROM deliveries ${where}
     ORDER BY received_at DESC, delivery_key LIMIT $${params.length}`,
    params,
  );
  return rows.map(toSummary);
}

/**
 * The deliveries a person names: by workflow ID (the delivery key), or by the provider's delivery ID
 * (one GUID may have reached several hooks: then there are several).
 */
export async function findDeliveries(q: Queryable, id: string): Promise<DeliverySummary[]> {
  const { rows } = await q.query<SummaryRow>(
    `SELECT ${COLUMNS} FROM deliveries WHERE delivery_key = $1 OR delivery_id = $1 ORDER BY received_at DESC`,
    [id],
  );
  return rows.map(toSummary);
}
