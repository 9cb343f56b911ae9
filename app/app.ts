// The object a user's app function receives: `app.on`, `app.onAny`, `app.onError` and `app.log`, as
// Probot's has them, so a Probot app's `(app) => { app.on(…) }` runs unchanged. It only records what
// the app registers; hookflow's workflows decide when each handler runs (app/README.md). What
// Probot's app object offers that has no meaning here fails at once, naming what to use instead.
import { createHash } from 'node:crypto';
import type { EmitterWebhookEventName } from '@octokit/webhooks';
import type { Logger } from '../lib/logger';
import type { Context } from './context';

export type Handler<E extends EmitterWebhookEventName = EmitterWebhookEventName> = (
  context: Context<E>,
) => unknown;
export type ErrorHandler = (error: HandlerError) => unknown;

/** What `app.onError` handlers receive, as Probot's do: the failure, and the delivery it came from. */
export interface HandlerError extends Error {
  event: { id: string; name: string; payload: unknown };
  /** The handler that threw. */
  handler: string;
}

/** One `app.on` / `app.onAny` call (a handler) or `app.runWorkflow` call (a workflow of the app's). */
export type Registration = {
  /** Stable within an app: `issues.opened#1` is the first registered for exactly `issues.opened`. */
  id: string;
  events: readonly string[] | 'any';
} & (
  | {
      kind: 'handler';
      handler: Handler;
      /** A digest of the handler's code: a retry checks it runs what was planned. */
      fingerprint: string;
    }
  | { kind: 'workflow'; workflowType: string }
);

/** The app's own Temporal workflows (app/README.md): their module, and its own activities. */
export interface AppWorkflows {
  /** As given to `app.workflows`: absolute, or relative to the app's file. */
  module: string;
  activities: Record<string, (...args: never[]) => unknown>;
}

/** Probot's app API, as hookflow offers it (see app/README.md for what differs). */
export class App {
  readonly registrations: Registration[] = [];
  readonly errorHandlers: ErrorHandler[] = [];
  workflowModule: AppWorkflows | undefined;

  /**
   * `validateEventName` is @octokit/webhooks' own check (what Probot's `app.on` runs), handed in
   * because that package loads only through import() (app/load-app.ts).
   */
  constructor(
    readonly log: Logger,
    private readonly validateEventName: (name: string) => void,
  ) {}

  // NoInfer: E comes from the event name alone; inferring it from the handler too is more than the compiler can take.
  on<E extends EmitterWebhookEventName>(event: E, handler: NoInfer<Handler<E>>): void;
  /** Several events: the payload is typed as any event's (check `context.name` and the action). */
  on(events: EmitterWebhookEventName[], handler: Handler): void;
  on(events: string | string[], handler: (context: never) => unknown): void {
    const names = this.eventNames(events, 'app.on');
    const h = handler as Handler;
    this.add(
      names,
      { kind: 'handler', handler: h },
      `app.on(${names.map((n) => JSON.stringify(n)).join(', ')}, …)`,
      h,
    );
  }

  onAny(handler: Handler): void {
    this.add('any', { kind: 'handler', handler }, 'app.onAny(…)', handler);
  }

  /**
   * The app's Temporal workflows, for long or multi-step work: the module exporting them (bundled
   * with hookflow's), and the app's own activities they call beside hookflow's.
   */
  workflows(module: string, activities: AppWorkflows['activities'] = {}): void {
    if (typeof module !== 'string' || module.length === 0)
      throw new TypeError(`app.workflows(…): the module is ${describe(module)}, not a path`);
    if (this.workflowModule)
      throw new Error('app.workflows(…) is called twice: an app has one workflows module');
    if (activities === null || typeof activities !== 'object')
      throw new TypeError(
        `app.workflows(…, activities): the activities are ${describe(activities)}, not an object`,
      );
    for (const [name, fn] of Object.entries(activities)) {
      if (typeof fn !== 'function')
        throw new TypeError(
          `app.workflows(…, activities): activity ${name} is ${describe(fn)}, not a function`,
        );
    }
    this.workflowModule = { module, activities };
  }

  /** Runs the workflow `workflowType` of the app's module for each delivery of `events`, as a child of the delivery's workflow. */
  runWorkflow(events: EmitterWebhookEventName | EmitterWebhookEventName[], workflowType: string): void {
    const names = this.eventNames(events, 'app.runWorkflow');
    if (typeof workflowType !== 'string' || workflowType.length === 0)
      throw new TypeError(`app.runWorkflow(…): the workflow type is ${describe(workflowType)}, not a name`);
    this.add(
      names,
      { kind: 'workflow', workflowType },
      `app.runWorkflow(${names.join(', ')}, …)`,
      workflowType,
    );
  }

  onError(handler: ErrorHandler): void {
    if (typeof handler !== 'function')
      throw new TypeError(`app.onError(…): the handler is ${describe(handler)}, not a function`);
    this.errorHandlers.push(handler);
  }

  /** Probot's `app.load`: runs further app functions against this app. */
  async load(fns: AppFunction | AppFunction[]): Promise<void> {
    for (const fn of Array.isArray(fns) ? fns : [fns]) await fn(this, appFunctionOptions());
  }

  auth(): never {
    throw new Error(
      'app.auth() is not available on hookflow: inside a handler, use context.octokit (authenticated as the delivery’s installation, with hookflow’s rate limits); for other installations, handle their own deliveries',
    );
  }

  route(): never {
    throw new Error(noServer('app.route()'));
  }

  private eventNames(events: string | string[], call: string): string[] {
    const names = Array.isArray(events) ? events : [events];
    if (names.length === 0) throw new TypeError(`${call}([], …): name at least one event`);
    for (const name of names) this.validateEventName(name);
    return names;
  }

  private add(
    events: readonly string[] | 'any',
    what: { kind: 'handler'; handler: Handler } | { kind: 'workflow'; workflowType: string },
    call: string,
    given: unknown,
  ): void {
    if (what.kind === 'handler' && typeof given !== 'function')
      throw new TypeError(`${call}: the handler is ${describe(given)}, not a function`);
    const key = events === 'any' ? '*' : events.join(',');
    const n = this.registrations.filter(
      (r) => (r.events === 'any' ? '*' : r.events.join(',')) === key,
    ).length;
    const id = `${key}#${n + 1}`;
    this.registrations.push(
      what.kind === 'handler'
        ? {
            id,
            events,
            ...what,
            fingerprint: createHash('sha256').update(String(what.handler)).digest('hex').slice(0, 16),
          }
        : { id, events, ...what },
    );
  }
}

export type AppFunction = (app: App, options: AppFunctionOptions) => unknown;

/**
 * The second argument Probot passes to an app function. `getRouter` is left undefined, as Probot
 * leaves it when it runs without its own server (createNodeMiddleware): apps check for it.
 */
export interface AppFunctionOptions {
  cwd: string;
  getRouter?: undefined;
  addHandler(): never;
}

export function appFunctionOptions(): AppFunctionOptions {
  return {
    cwd: process.cwd(),
    addHandler: () => {
      throw new Error(noServer('addHandler()'));
    },
  };
}

/** The message when an app calls getRouter() all the same (it then fails with a TypeError). */
export const NO_ROUTER = () => noServer('getRouter()');

const noServer = (what: string) =>
  `${what} is not available on hookflow: hookflow's own server receives the webhooks and has no routes for apps; serve other HTTP routes from a server of your own`;

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The handlers for an event (`issues`) with its action (`opened`), in registration order. */
export function matching(registrations: readonly Registration[], event: string, action: string | null) {
  const names = action ? [event, `${event}.${action}`] : [event];
  return registrations.filter((r) => r.events === 'any' || r.events.some((e) => names.includes(e)));
}
