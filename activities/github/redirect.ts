// Redirects: 301/302/303/307/308 with a hop limit; 307/308 keep the method and body, the others
// become a GET (as browsers and Octokit do); credentials never travel to another host, and neither
// does a body (it may hold a secret: a hook's config, `hub.secret`): such a redirect is not followed.

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;

export interface Hop {
  url: URL;
  method: string;
  keepBody: boolean;
  /** False once the chain has left the host the credentials were meant for. */
  sendCredentials: boolean;
}

export function nextHop(
  current: { url: URL; method: string; sendCredentials: boolean; carriesBody?: boolean },
  status: number,
  location: string | null,
): Hop | undefined {
  if (!REDIRECT_STATUSES.has(status) || !location) return undefined;
  const url = new URL(location, current.url);
  const keep = status === 307 || status === 308 || current.method === 'GET' || current.method === 'HEAD';
  const keepBody = keep && status !== 303;
  const sameOrigin = url.host === current.url.host && url.protocol === current.url.protocol;
  if (keepBody && current.carriesBody === true && !sameOrigin) return undefined;
  return {
    url,
    method: keep ? current.method : 'GET',
    keepBody,
    sendCredentials: current.sendCredentials && sameOrigin,
  };
}
