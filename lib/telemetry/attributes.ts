// Span attribute names hookflow uses, in one place: the semantic conventions' where they exist
// (`vcs.repository.name`), `hookflow.*` for what is hookflow's own.
import type { Attributes } from '@opentelemetry/api';
import type { DeliveryRef } from '../contracts/delivery-ref';

/** A delivery's identity on every span of its trace: searchable in a trace UI by the provider's delivery ID. */
export function deliveryAttributes(ref: DeliveryRef): Attributes {
  return {
    'hookflow.delivery.id': ref.deliveryId,
    'hookflow.delivery.key': ref.key,
    'hookflow.provider': ref.provider,
    'hookflow.event': ref.event,
    ...(ref.action !== null ? { 'hookflow.action': ref.action } : {}),
    ...(ref.installation !== null ? { 'hookflow.installation.id': ref.installation } : {}),
    ...(ref.repository !== null ? { 'vcs.repository.name': ref.repository } : {}),
  };
}

/** Whether an activity's first argument is a delivery reference (delivery workflows pass one). */
export function isDeliveryRef(v: unknown): v is DeliveryRef {
  const r = v as Partial<DeliveryRef> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.key === 'string' &&
    typeof r.deliveryId === 'string' &&
    typeof r.event === 'string' &&
    typeof r.provider === 'string'
  );
}
