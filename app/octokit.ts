// `context.octokit`: Octokit's own core with the plugins Probot gives its apps (REST endpoint
// methods, in Probot's legacy form too, so `octokit.issues.createComment` works as well as
// `octokit.rest.issues.createComment`; paginate; repository config files). hookflow supplies only
// the transport: every request Octokit builds is handed to `send`, which goes through hookflow's
// one client (budgets, the installation's turn, pacing, tokens, spans) and the handler's journal.
// Octokit's throttling and retry plugins stay out: the client and Temporal own waits and retries.
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { legacyRestEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { RequestError } from '@octokit/request-error';
import type { config as configPlugin } from '@probot/octokit-plugin-config';
import { importModule } from './import-module';

/** A request as Octokit built it, for hookflow's client. */
export interface OctokitCall {
  method: string;
  /** Absolute, parameters expanded. */
  url: string;
  /** The route template (`/repos/{owner}/{repo}/issues`), for logs and spans. */
  route: string;
  body: unknown;
  /** Another media type than GitHub's JSON, when the request asked for one (`mediaType: { format: 'raw' }`). */
  accept: string | undefined;
}

/** GitHub's answer, as the client (or the journal) gives it back. */
export interface OctokitAnswer {
  status: number;
  url: string;
  data: unknown;
  link: string | undefined;
  contentType: string | undefined;
}

/** The media type Octokit asks for unless told otherwise: hookflow's client asks for the same. */
export const OCTOKIT_DEFAULT_ACCEPT = 'application/vnd.github.v3+json';

async function buildClass() {
  const { config } = (await importModule('@probot/octokit-plugin-config')) as { config: typeof configPlugin };
  return Octokit.plugin(legacyRestEndpointMethods, paginateRest, config);
}

let octokitClass: ReturnType<typeof buildClass> | undefined;

export type HandlerOctokit = InstanceType<Awaited<ReturnType<typeof buildClass>>>;

/** An Octokit whose every request goes to `send`. */
export async function createOctokit(baseUrl: string, send: (call: OctokitCall) => Promise<OctokitAnswer>) {
  octokitClass ??= buildClass();
  const Klass = await octokitClass;
  const octokit: HandlerOctokit = new Klass({ baseUrl, userAgent: 'hookflow' });
  octokit.hook.wrap('request', async (_request, options) => {
    const endpoint = octokit.request.endpoint.parse(options);
    const accept = endpoint.headers.accept;
    const answer = await send({
      method: endpoint.method,
      url: endpoint.url,
      route: routeOf(String(options.url)),
      body: endpoint.body,
      accept: accept && accept !== OCTOKIT_DEFAULT_ACCEPT ? accept : undefined,
    });
    return {
      status: answer.status,
      url: answer.url,
      headers: {
        ...(answer.link ? { link: answer.link } : {}),
        ...(answer.contentType ? { 'content-type': answer.contentType } : {}),
      },
      data: answer.data,
    } as never;
  });
  return octokit;
}

/**
 * The route of a request: its template, or for a URL handed out whole (a next page) its path with
 * the numbers left out, so logs and spans never carry IDs.
 */
export function routeOf(template: string): string {
  const route = template.replace(/^[A-Z]+ /, '');
  if (!/^https?:\/\//i.test(route)) return route;
  return new URL(route).pathname.replace(/\/\d+(?=\/|$)/g, '/{id}');
}

/** Requests that create content people are notified of: the client paces them further. */
export function createsContent(method: string, route: string): boolean {
  return method === 'POST' && /\/(comments|issues|reviews|discussions|replies)$/.test(route);
}

/** The error Octokit would raise for GitHub's refusal, so an app's `err.status === 404` checks work. */
export function refusal(call: OctokitCall, status: number, message: string): RequestError {
  return new RequestError(message, status, {
    request: { method: call.method as 'GET', url: call.url, headers: {} },
    response: { status, url: call.url, headers: {}, data: { message } },
  });
}
