// The object a user's app function receives: `app.on`, `app.onAny`, `app.onError` and `app.log`, as
// Probot's has them, so a Probot app's `(app) => { app.on(…) }` runs unchanged. It only records what
// the app registers; hookflow's workflows decide when each handler runs (app/README.md). What
// Probot's app object offers that has no meaning here fails at once, naming what to use instead.
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

/** One `app.on` (or `app.onAny`) call: the events it names, and its handler. */
export interface Registration {
  /** Stable within an app: `issues.opened#1` is the first handler registered for exactly `issues.opened`. */
  id: string;
  events: readonly string[] | 'any';
  handler: Handler;
}

/** Probot's app API, as hookflow offers it (see app/README.md for what differs). */
export class App {
  readonly registrations: Registration[] = [];
  readonly errorHandlers: ErrorHandler[] = [];

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
    const names = Array.isArray(events) ? events : [events];
    if (names.length === 0) throw new TypeError('app.on([], …): name at least one event');
    for (const name of names) this.validateEventName(name);
    this.add(names, handler as Handler, `app.on(${names.map((n) => JSON.stringify(n)).join(', ')}, …)`);
  }

  onAny(handler: Handler): void {
    this.add('any', handler, 'app.onAny(…)');
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

  private add(events: readonly string[] | 'any', handler: Handler, call: string): void {
    if (typeof handler !== 'function')
      throw new TypeError(`${call}: the handler is ${describe(handler)}, not a function`);
    const key = events === 'any' ? '*' : events.join(',');
    const n = this.registrations.filter(
      (r) => (r.events === 'any' ? '*' : r.events.join(',')) === key,
    ).length;
    this.registrations.push({ id: `${key}#${n + 1}`, events, handler });
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
