// What a handler receives: the delivery, a logger bound to it, `octokit` through hookflow's client,
// and Probot's helpers with Probot's meaning (probot/src/context.ts), so Probot apps run unchanged.
import path from 'node:path';
import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import merge, { type Options as MergeOptions } from 'deepmerge';
import type { Logger } from '../lib/logger';
import type { HandlerOctokit } from './octokit';

type Payload<E extends EmitterWebhookEventName> = EmitterWebhookEvent<E>['payload'];

/** A log method: a message, or fields and a message (pino's, as Probot's `context.log` is). */
interface LogFn {
  (message: string, ...args: unknown[]): void;
  (fields: object, message?: string, ...args: unknown[]): void;
}

/** The logger a handler gets: pino's, bound to the delivery and the handler, trace-correlated. */
interface HandlerLog {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): HandlerLog;
}

export interface Context<E extends EmitterWebhookEventName = EmitterWebhookEventName> {
  /** The delivery ID GitHub gave (X-GitHub-Delivery). */
  id: string;
  /** The event, without its action: `issues`. */
  name: string;
  payload: Payload<E>;
  /** hookflow's key of the delivery (`github:<hook>:<delivery>`), as `hookflow deliveries show` takes it. */
  deliveryKey: string;
  log: HandlerLog;
  octokit: HandlerOctokit;
  /** Whether the event was caused by a bot (the sender is a Bot account). */
  isBot: boolean;
  repo<T extends object = object>(object?: T): { owner: string; repo: string } & T;
  issue<T extends object = object>(object?: T): { owner: string; repo: string; issue_number: number } & T;
  pullRequest<T extends object = object>(
    object?: T,
  ): { owner: string; repo: string; pull_number: number } & T;
  /**
   * The repository's `.github/<fileName>` (YAML or JSON) merged over `defaultConfig`, following
   * `_extends`, with the organisation's `.github` repository as fallback; null when there is no
   * such file and no default.
   */
  config<T extends object>(
    fileName: string,
    defaultConfig?: T,
    deepMergeOptions?: MergeOptions,
  ): Promise<T | null>;
}

export interface ContextInput {
  deliveryId: string;
  deliveryKey: string;
  event: string;
  payload: Record<string, unknown>;
  log: Logger;
  octokit: HandlerOctokit;
}

type Loose = Record<string, unknown> & {
  repository?: { owner?: { login?: string }; name?: string };
  issue?: { number?: number };
  pull_request?: { number?: number };
  number?: number;
  sender?: { type?: string };
};

export function createContext(input: ContextInput): Context {
  const payload = input.payload as Loose;
  const repo = <T extends object>(object?: T) => {
    const r = payload.repository;
    if (!r?.owner?.login || !r.name) {
      throw new Error(
        `context.repo() is not supported for this webhook event (${input.event}): its payload names no repository`,
      );
    }
    return { owner: r.owner.login, repo: r.name, ...object } as { owner: string; repo: string } & T;
  };
  const number = () => (payload.issue ?? payload.pull_request ?? payload).number as number;
  const context: Context = {
    id: input.deliveryId,
    name: input.event,
    payload: input.payload,
    deliveryKey: input.deliveryKey,
    log: input.log,
    octokit: input.octokit,
    isBot: payload.sender?.type === 'Bot',
    repo,
    issue: (object) => ({ issue_number: number(), ...repo(object) }),
    pullRequest: (object) => ({ pull_number: number(), ...repo(object) }),
    async config<T extends object>(fileName: string, defaultConfig?: T, deepMergeOptions?: MergeOptions) {
      const params = repo({
        path: path.posix.join('.github', fileName),
        defaults: (configs: Record<string, unknown>[]) =>
          merge.all([defaultConfig ?? {}, ...configs], deepMergeOptions) as Record<string, unknown>,
      });
      const { config, files } = await input.octokit.config.get(params);
      // As Probot: null only when there is no file and no default to fall back on.
      if (!defaultConfig && files.every((file) => file.config === null)) return null;
      return config as T;
    },
  };
  return context;
}
