// What the workflows of a user's app import (`hookflow/workflow`): hookflow's API activities with
// the retry policy and rate-limit waits hookflow's own workflows use. Workflow code: it runs in the
// sandbox and is bundled with hookflow's workflows (app/README.md).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { apiActivityOptions } from './activity-options';
import { withRateLimitWaits } from './with-rate-limit-waits';

export type { DeliveryRef } from '../lib/contracts/delivery-ref';
export { withRateLimitWaits } from './with-rate-limit-waits';

/**
 * GitHub, as the delivery's installation: `request(ref, 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { … })`
 * in Octokit's route syntax, each request one activity, through hookflow's client (budgets, pacing,
 * tokens, spans). 5xx and network errors are retried, a long rate limit becomes a durable timer;
 * a 4xx fails the call (catch it as an ActivityFailure).
 */
export function github(options: { timeoutMs?: number } = {}) {
  const { githubRequest, deliveryPayload } = proxyActivities<Activities>(
    apiActivityOptions(options.timeoutMs ?? 60_000),
  );
  const request = (ref: DeliveryRef, route: string, parameters: Record<string, unknown> = {}) =>
    withRateLimitWaits(() => githubRequest(ref, route, parameters));
  return {
    request,
    /** Every page of a listing (`GET /repos/{owner}/{repo}/pulls/{pull_number}/files`), one request per page. */
    async paginate<T = unknown>(
      ref: DeliveryRef,
      route: string,
      parameters: Record<string, unknown> = {},
    ): Promise<T[]> {
      const items: T[] = [];
      let page = await request(ref, route, { per_page: 100, ...parameters });
      for (;;) {
        items.push(...(page.data as T[]));
        if (!page.next) return items;
        page = await request(ref, `GET ${page.next}`);
      }
    },
    /** The delivery's payload, or only the named top-level fields (a whole payload may be large for a history). */
    payload: (ref: DeliveryRef, fields?: string[]) => deliveryPayload(ref, fields),
  };
}
