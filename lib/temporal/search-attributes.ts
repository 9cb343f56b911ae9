// Custom search attributes set on every delivery workflow, so the Temporal UI can answer
// "all failed `issues` deliveries for repo X":
//   ExecutionStatus="Failed" AND HookflowEvent="issues" AND HookflowRepository="acme/api"
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { DeliveryRef } from '../delivery';

export const SA = {
  provider: defineSearchAttributeKey('HookflowProvider', SearchAttributeType.KEYWORD),
  deliveryId: defineSearchAttributeKey('HookflowDeliveryId', SearchAttributeType.KEYWORD),
  event: defineSearchAttributeKey('HookflowEvent', SearchAttributeType.KEYWORD),
  action: defineSearchAttributeKey('HookflowAction', SearchAttributeType.KEYWORD),
  // Keyword, not Int: other providers' installations (locations) are strings.
  installation: defineSearchAttributeKey('HookflowInstallation', SearchAttributeType.KEYWORD),
  repository: defineSearchAttributeKey('HookflowRepository', SearchAttributeType.KEYWORD),
} as const;

export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

export function searchAttributesFor(ref: DeliveryRef): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA.provider, value: ref.provider },
    { key: SA.deliveryId, value: ref.deliveryId },
    { key: SA.event, value: ref.event },
  ];
  if (ref.action !== null) pairs.push({ key: SA.action, value: ref.action });
  if (ref.installation !== null) pairs.push({ key: SA.installation, value: ref.installation });
  if (ref.repository !== null) pairs.push({ key: SA.repository, value: ref.repository });
  return pairs;
}
