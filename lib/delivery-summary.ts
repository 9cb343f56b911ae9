// How a delivery reads to a person: one line (`issues.opened #12 in octo-org/api`) and a few details
// (delivery ID, hook, installation, sender, received time). The line is the delivery workflow's
// summary in the Temporal UI's list and the ledger's record of a completed delivery.
import type { DeliveryRef } from './contracts/delivery-ref';

const numberOf = (v: unknown): unknown =>
  typeof v === 'object' && v !== null ? (v as { number?: unknown }).number : undefined;

export function summariseDelivery(ref: DeliveryRef, payload: Record<string, unknown>): string {
  const name = ref.action ? `${ref.event}.${ref.action}` : ref.event;
  const where = ref.repository ? ` in ${ref.repository}` : ref.installation ? ` for ${ref.installation}` : '';
  let what = '';
  if (ref.event === 'issues' || ref.event === 'issue_comment') {
    const n = numberOf(payload.issue);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'pull_request') {
    const n = payload.number ?? numberOf(payload.pull_request);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'push') {
    const commits = Array.isArray(payload.commits) ? payload.commits.length : 0;
    what = ` of ${commits} commit${commits === 1 ? '' : 's'} to ${String(payload.ref)}`;
  }
  return `${name}${what}${where}`;
}

/** The details beside the summary (Markdown, as the Temporal UI shows them). */
export function deliveryDetails(
  ref: DeliveryRef,
  payload: Record<string, unknown>,
  receivedAt: Date,
): string {
  const sender =
    typeof payload.sender === 'object' && payload.sender !== null
      ? (payload.sender as { login?: unknown }).login
      : undefined;
  return [
    `**Delivery** ${ref.deliveryId}`,
    `**Hook** ${ref.hookId} (${ref.source})`,
    ...(ref.installation ? [`**Installation** ${ref.installation}`] : []),
    ...(typeof sender === 'string' ? [`**Sender** ${sender}`] : []),
    `**Received** ${receivedAt.toISOString()}`,
  ].join('  \n');
}

/** The payload as a JSON object (a form's `payload` field), or `{}` when it is none. */
export function parsedPayload(contentType: string, raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  const json = contentType.includes('x-www-form-urlencoded')
    ? new URLSearchParams(text).get('payload')
    : text;
  try {
    const value = JSON.parse(json ?? '') as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
