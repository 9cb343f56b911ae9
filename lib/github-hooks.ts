// Where GitHub's hooks API keeps a repository's or an organization's hook: the CLI's hooks commands
// and the secret rotation's activities call the same paths.
// https://docs.github.com/en/rest/repos/webhooks and /rest/orgs/webhooks

export interface HookPlace {
  scope: 'repository' | 'organization';
  /** `owner/repo`, or the organization's login. */
  name: string;
}

/** The hooks collection's path under the API base, and its route template for logs and spans. */
export function hooksApi(place: HookPlace): { path: string; route: string } {
  return place.scope === 'repository'
    ? {
        path: `repos/${place.name.split('/').map(encodeURIComponent).join('/')}/hooks`,
        route: '/repos/{owner}/{repo}/hooks',
      }
    : { path: `orgs/${encodeURIComponent(place.name)}/hooks`, route: '/orgs/{org}/hooks' };
}

/** How a person names the place: `owner/repo` or `org:<login>`. */
export const shownPlace = (place: HookPlace): string =>
  place.scope === 'organization' ? `org:${place.name}` : place.name;

/**
 * A repository event's PubSubHubbub topic: `https://github.com/{owner}/{repo}/events/{event}`, on the
 * web host of the API hookflow calls (api.github.com → github.com; a GitHub Enterprise Server's
 * `https://HOST/api/v3` → `https://HOST`). https://docs.github.com/en/rest/repos/webhooks#pubsubhubbub
 */
export function hubTopic(apiUrl: string, repository: string, event: string): string {
  const api = new URL(apiUrl);
  const host = api.host.startsWith('api.') ? api.host.slice('api.'.length) : api.host;
  const [owner, repo] = repository.split('/').map(encodeURIComponent);
  return `${api.protocol}//${host}/${owner}/${repo}/events/${encodeURIComponent(event)}`;
}

/** A PubSubHubbub subscription is kept as a managed hook under this ID (GitHub's hook IDs are numbers). */
export const hubHookId = (subscription: string) => `hub:${subscription}`;

/** The query parameter hookflow adds to a subscription's callback URL: `?hub=<subscription ID>`. */
export const HUB_PARAM = 'hub';
