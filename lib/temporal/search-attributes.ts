// Custom search attributes set on every delivery workflow, so the Temporal UI can answer
// "all failed `issues` deliveries for repo X":
//   ExecutionStatus="Failed" AND HookflowEvent="issues" AND HookflowRepository="acme/api"
// Their keys, the values a delivery gets, and their registration on a server (the front door's
// start-up and the embedded dev server both register them).
// https://docs.temporal.io/search-attribute
import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { DeliveryRef } from '../contracts/delivery-ref';

const SA = {
  provider: defineSearchAttributeKey('HookflowProvider', SearchAttributeType.KEYWORD),
  deliveryId: defineSearchAttributeKey('HookflowDeliveryId', SearchAttributeType.KEYWORD),
  event: defineSearchAttributeKey('HookflowEvent', SearchAttributeType.KEYWORD),
  action: defineSearchAttributeKey('HookflowAction', SearchAttributeType.KEYWORD),
  // Keyword, not Int: other providers' installations (locations) are strings.
  installation: defineSearchAttributeKey('HookflowInstallation', SearchAttributeType.KEYWORD),
  repository: defineSearchAttributeKey('HookflowRepository', SearchAttributeType.KEYWORD),
  // The bulk replay job that started a run: `HookflowReplayJob="<job>"` lists a job's runs.
  replayJob: defineSearchAttributeKey('HookflowReplayJob', SearchAttributeType.KEYWORD),
} as const;

export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

/**
 * A delivery's search attributes. They stay readable in Temporal (the UI filters on them), unlike
 * payloads: `repository: false` (HOOKFLOW_SEARCH_REPOSITORY=off) leaves the repository name out.
 */
export function searchAttributesFor(
  ref: DeliveryRef,
  o: { replayJob?: string | undefined; repository?: boolean | undefined } = {},
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA.provider, value: ref.provider },
    { key: SA.deliveryId, value: ref.deliveryId },
    { key: SA.event, value: ref.event },
  ];
  if (ref.action !== null) pairs.push({ key: SA.action, value: ref.action });
  if (ref.installation !== null) pairs.push({ key: SA.installation, value: ref.installation });
  if (ref.repository !== null && o.repository !== false)
    pairs.push({ key: SA.repository, value: ref.repository });
  if (o.replayJob !== undefined) pairs.push({ key: SA.replayJob, value: o.replayJob });
  return pairs;
}

/**
 * Registers hookflow's search attributes where missing. `--search-attribute` only applies when the
 * dev server creates its database, so an existing data folder (or a cluster) is covered here.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(customAttributes && k.name in customAttributes));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
  }
  return missing.map((k) => k.name);
}
