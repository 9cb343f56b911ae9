// hookflow's API for the workflows of a user's app (workflows/public.ts): one GitHub request in
// Octokit's route syntax, through hookflow's one client, its failures in the vocabulary every
// workflow already handles (a long rate limit comes back as a wait for the workflow's timer); and
// the delivery's payload, read from the ledger.
import { ApplicationFailure } from '@temporalio/activity';
import { Octokit } from '@octokit/core';
import { FAILURE } from '../lib/contracts/failure-types';
import { createsContent, OCTOKIT_DEFAULT_ACCEPT, routeOf } from '../app/octokit';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { ActivityDeps } from './activity-deps';
import { githubCaller } from './github-call';
import { loadPayload } from './payload';

/** What a request of an app's workflow gets back: small and serialisable, for the workflow's history. */
export interface AppApiAnswer {
  status: number;
  data: unknown;
  /** The next page's URL (`Link: rel="next"`): pass it as the route `GET <url>` for the next page. */
  next: string | undefined;
}

const READS = new Set(['GET', 'HEAD']);

export function createAppApiActivities(
  deps: Pick<ActivityDeps, 'store' | 'api' | 'github' | 'githubApiUrl'>,
) {
  const { github, call } = githubCaller(deps);
  // Only Octokit's route expansion (`POST /repos/{owner}/{repo}/issues` + parameters → URL and body).
  const endpoint = new Octokit({ baseUrl: deps.githubApiUrl }).request.endpoint;

  return {
    async githubRequest(
      ref: DeliveryRef,
      route: string,
      parameters: Record<string, unknown> = {},
    ): Promise<AppApiAnswer> {
      const req = endpoint(route, parameters);
      const method = req.method.toUpperCase();
      const installation = ref.installation ?? (deps.api.token ? 'token' : undefined);
      if (!installation) {
        throw ApplicationFailure.nonRetryable(
          `${ref.key} names no installation and hookflow has no GITHUB_TOKEN: there is no one to call GitHub as`,
          FAILURE.notConfigured,
        );
      }
      const accept = req.headers.accept;
      const template = routeOf(route);
      const res = await call(() =>
        github().request({
          method,
          url: req.url,
          route: template,
          installation,
          requestId: ref.deliveryId,
          body: req.body,
          // A media type asked for with `mediaType` (Octokit's default is GitHub's JSON, as the client's).
          ...(accept && accept !== OCTOKIT_DEFAULT_ACCEPT ? { accept } : {}),
          conditional: READS.has(method),
          createsContent: createsContent(method, template),
        }),
      );
      return { status: res.status, data: res.data, next: res.next };
    },

    /** The delivery's payload, or only the named top-level fields of it (a payload may be large for a history). */
    async deliveryPayload(ref: DeliveryRef, fields?: string[]): Promise<Record<string, unknown>> {
      const payload = await loadPayload(deps.store, ref.key);
      if (!fields) return payload;
      return Object.fromEntries(fields.filter((f) => Object.hasOwn(payload, f)).map((f) => [f, payload[f]]));
    },
  };
}
