// `hookflow/testing`: an app's handlers run in a test, without Temporal or a database, as Probot's
// `probot.receive` lets one test an app. The handlers get the same context and Octokit as on
// hookflow; each request goes to the test's `answer` instead of GitHub, and is recorded.
import { createLogger } from '../lib/logger';
import { App, appFunctionOptions, matching, type AppFunction } from './app';
import { createContext } from './context';
import { validateEventNameFn } from './import-module';
import { createOctokit, refusal, type OctokitCall } from './octokit';

export type { OctokitCall } from './octokit';

/** What the test answers a request with; undefined answers 404, as GitHub does for what it does not know. */
export type TestAnswer = { status?: number; data?: unknown; headers?: Record<string, string> } | undefined;

export interface Received {
  /** Every request the handlers made, in order. */
  requests: OctokitCall[];
  /** The app's workflows the delivery would start (`app.runWorkflow`), by workflow type. */
  workflows: string[];
}

/**
 * Runs the handlers `appFn` registers for one delivery, one after another; a handler's error is
 * thrown as it is. `payload.action` is the action, as in a real delivery.
 */
export async function receive(
  appFn: AppFunction,
  delivery: { event: string; payload: Record<string, unknown>; id?: string },
  answer: (call: OctokitCall) => TestAnswer | Promise<TestAnswer> = () => undefined,
): Promise<Received> {
  const validateEventName = await validateEventNameFn();
  const log = createLogger('silent');
  const app = new App(log, validateEventName);
  await appFn(app, appFunctionOptions());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : null;
  const matched = matching(app.registrations, delivery.event, action);
  const requests: OctokitCall[] = [];
  const octokit = await createOctokit('https://api.github.com', async (call) => {
    requests.push(call);
    const a = await answer(call);
    const status = a?.status ?? (a ? 200 : 404);
    if (status >= 400)
      throw refusal(call, status, status === 404 ? 'Not Found' : `answered ${status} by the test`);
    return {
      status,
      url: call.url,
      data: a?.data ?? null,
      link: a?.headers?.link,
      contentType: a?.headers?.['content-type'] ?? 'application/json; charset=utf-8',
    };
  });
  const id = delivery.id ?? 'test-delivery';
  for (const r of matched) {
    if (r.kind !== 'handler') continue;
    await r.handler(
      createContext({
        deliveryId: id,
        deliveryKey: `github:-:${id}`,
        event: delivery.event,
        payload: delivery.payload,
        log,
        octokit,
      }),
    );
  }
  return { requests, workflows: matched.flatMap((r) => (r.kind === 'workflow' ? [r.workflowType] : [])) };
}
