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
