// The example write-back on a new issue: label it, then welcome its author once. Each step is
// idempotent under redelivery (GitHub's redeliver sends the same event again), and the client paces
// the mutations as GitHub's secondary rate limits ask.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { ActivityDeps } from './activity-deps';
import { githubCaller } from './github-call';
import { apiRoute, keepOnApiOrWarn, onApiOrigin, originOf } from './keep-on-api';
import { loadPayload, payloadObject } from './payload';

/** Marks hookflow's welcome comment, so a second delivery of the same event finds it and posts none. */
const WELCOME_MARKER = '<!-- hookflow:welcome -->';

export function createWelcomeActivities(
  deps: Pick<ActivityDeps, 'store' | 'api' | 'github' | 'logger' | 'githubApiUrl'>,
) {
  const { store, api, logger } = deps;
  const { github, call } = githubCaller(deps);

  /**
   * A URL of the delivery's issue, as the payload gives it (on another origin than the configured
   * API's: the API's own route for it instead, see keep-on-api.ts), and the installation to call
   * with (token mode: `token`).
   */
  async function issueTarget(ref: DeliveryRef, field: 'labels_url' | 'comments_url') {
    const issue = payloadObject(await loadPayload(store, ref.key), 'issue');
    const value = issue?.[field];
    const installation = ref.installation ?? (api.token ? 'token' : undefined);
    if (typeof value !== 'string') return { url: undefined, installation };
    const ownRoute =
      ref.repository && typeof issue?.number === 'number'
        ? apiRoute(
            deps.githubApiUrl,
            `/repos/${ref.repository}/issues/${issue.number}/${field === 'labels_url' ? 'labels' : 'comments'}`,
          )
        : undefined;
    if (ownRoute) {
      const url = keepOnApiOrWarn(logger, deps.githubApiUrl, value, ownRoute, { delivery: ref.key, field });
      return { url, installation };
    }
    // No route of our own to fall back on: a URL off the API's origin is not followed at all.
    if (!onApiOrigin(value, deps.githubApiUrl)) {
      logger.warn(
        { delivery: ref.key, field, url: value, apiOrigin: originOf(deps.githubApiUrl) },
        "URL not on the configured API's origin, and no repository and issue number to build its route from: not followed",
      );
      return { url: undefined, installation };
    }
    return { url: value, installation };
  }

  return {
    /** Step 1: label a new issue. Adding a label it already has changes nothing, so a redelivery is harmless. */
    async addWelcomeLabel(ref: DeliveryRef): Promise<string> {
      const label = api.welcome.label;
      if (!label) return ''; // the write-back is off
      const { url: labelsUrl, installation } = await issueTarget(ref, 'labels_url');
      if (!labelsUrl || !installation) return 'no labels URL or installation in the payload';
      await call(() =>
        github().request({
          method: 'POST',
          // The URL as the payload gives it; `{/name}` is its URI-template tail, expanded with no name.
          url: labelsUrl.replace(/\{\/name\}$/, ''),
          route: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
          installation,
          requestId: ref.deliveryId,
          body: { labels: [label] },
        }),
      );
      return `labelled ${label}`;
    },

    /**
     * Step 2: welcome the issue's author, once. The comment carries a marker, and the issue's
     * comments are read first, so a redelivery or a retry after a lost answer posts no second one.
     */
    async postWelcomeComment(ref: DeliveryRef): Promise<string> {
      const text = api.welcome.comment;
      if (!text) return ''; // the write-back is off
      const { url: commentsUrl, installation } = await issueTarget(ref, 'comments_url');
      if (!commentsUrl || !installation) return 'no comments URL or installation in the payload';
      let url: string | undefined = `${commentsUrl}?per_page=100`;
      while (url) {
        const page: { data: unknown[]; next: string | undefined } = await call(() =>
          github().request<unknown[]>({
            url: url!,
            route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
            installation,
            requestId: ref.deliveryId,
          }),
        );
        if (
          page.data.some((c) => {
            const body = (c as { body?: unknown }).body;
            return typeof body === 'string' && body.includes(WELCOME_MARKER);
          })
        ) {
          return 'welcome comment already posted';
        }
        url = page.next;
      }
      await call(() =>
        github().request({
          method: 'POST',
          url: commentsUrl,
          route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
          installation,
          requestId: ref.deliveryId,
          body: { body: `${text}\n\n${WELCOME_MARKER}` },
          createsContent: true,
        }),
      );
      return 'welcome comment posted';
    },
  };
}
