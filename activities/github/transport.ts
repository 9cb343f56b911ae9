// The only place the client touches the network: one `fetch` per hop, GitHub's base headers, redirects
// followed with the credentials kept to the API's own origin, one timeout for the whole chain, and the
// answer's body read as JSON where it is JSON. A connection that fails becomes a network ApiError that
// keeps the failure as its `cause`.
import { ApiError } from './api-error';
import { MAX_REDIRECTS, nextHop } from './redirect';

export const REQUEST_ID_HEADER = 'x-hookflow-request-id';

/** An answer as it came back, after any redirects. */
export interface Sent {
  status: number;
  headers: Headers;
  text: string;
  /** The URL that answered. */
  url: string;
  /** Where a permanent redirect said the resource now lives. */
  movedTo: string | undefined;
}

interface Outgoing {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  /** The caller's own abort: an aborted call is rethrown as it is, not turned into a network error. */
  signal?: AbortSignal | undefined;
  /** For the error a failure becomes. */
  route: string;
  installation: string;
}

export interface Transport {
  /** The API base's host name, for span attributes. */
  host: string;
  /** A path under the API base, or an absolute URL exactly as the API handed it out. */
  resolve(url: string): URL;
  send(out: Outgoing): Promise<Sent>;
}

/**
 * GitHub's recommended request headers, the credentials (none when `authorization` is empty: a public
 * endpoint), and the ID of the work the call is for.
 */
export function baseHeaders(authorization: string, requestId: string): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'hookflow',
    ...(authorization ? { authorization } : {}),
    [REQUEST_ID_HEADER]: requestId,
  };
}

/** The body as JSON when it is JSON, as text when not, and null when empty. */
export function parseBody(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GitHub's own `message` in an error answer, cut short for logs and errors. */
export function messageOf(data: unknown): string | undefined {
  const m = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m.slice(0, 300) : undefined;
}

export function createTransport(baseUrl: string, timeoutMs: number): Transport {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);

  async function follow(out: Outgoing): Promise<Sent> {
    // Credentials go only to the API's own origin: a URL from a payload or a Link header that points
    // elsewhere gets the request without them, as a cross-host redirect does.
    const own = out.url.host === base.host && out.url.protocol === base.protocol;
    let hop = { url: out.url, method: out.method, keepBody: true, sendCredentials: own };
    let movedTo: string | undefined;
    // One timeout for the whole chain of hops, so a request's time in the installation's turn is bounded.
    const timeout = AbortSignal.timeout(timeoutMs);
    for (let hops = 0; ; hops++) {
      const headers = { ...out.headers };
      if (!hop.sendCredentials) delete headers.authorization;
      const res = await fetch(hop.url, {
        method: hop.method,
        headers,
        ...(hop.keepBody && out.body !== undefined ? { body: out.body } : {}),
        redirect: 'manual',
        signal: out.signal ? AbortSignal.any([out.signal, timeout]) : timeout,
      });
      const carriesBody = hop.keepBody && out.body !== undefined;
      const next = nextHop({ ...hop, carriesBody }, res.status, res.headers.get('location'));
      if (!next) {
        return {
          status: res.status,
          headers: res.headers,
          text: await res.text(),
          url: hop.url.href,
          movedTo,
        };
      }
      await res.body?.cancel();
      if (hops + 1 > MAX_REDIRECTS) {
        throw new ApiError('client', {
          method: out.method,
          route: out.route,
          status: res.status,
          installation: out.installation,
          providerMessage: `more than ${MAX_REDIRECTS} redirects`,
        });
      }
      if (res.status === 301 || res.status === 308) movedTo = next.url.href;
      hop = next;
    }
  }

  return {
    host: base.hostname,
    resolve: (url) => new URL(/^https?:\/\//i.test(url) ? url : url.replace(/^\//, ''), base),
    async send(out) {
      try {
        return await follow(out);
      } catch (err) {
        if (err instanceof ApiError || out.signal?.aborted) throw err;
        // fetch says only "fetch failed"; the system's code (ECONNRESET, ECONNREFUSED) is in its cause.
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new ApiError(
          'network',
          {
            method: out.method,
            route: out.route,
            status: undefined,
            installation: out.installation,
            providerMessage: cause?.code ?? cause?.message ?? (err as Error).message,
          },
          { cause: err },
        );
      }
    },
  };
}
