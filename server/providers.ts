// What the front door needs to know about a provider: where its headers are, how it signs, where
// the installation sits in a payload, and which events start which workflow. GitHub is built in;
// other HMAC-signing providers are described declaratively in the sources file.
import type { Config } from '../lib/config';
import { hubHookId, type HookPlace } from '../lib/github-hooks';
import type { ManagedHookSecrets } from '../lib/hook-secrets';
import type { DeclarativeProviderConfig } from '../lib/sources-file';
import type { WorkflowType } from '../lib/temporal/workflow-type';
import { ownValue } from './own-value';
import { GITHUB_SHA1, GITHUB_SHA256, type SignatureScheme } from './signature';

/** A set of secrets that speaks for one hook (or for a provider's default hook). */
export interface Source {
  /** Stable name, stored with installations: `github`, `github:hook:123`, `trulinks`. */
  key: string;
  /**
   * Whether deliveries through this source may name installations hookflow has not seen (then
   * recorded as unverified). Only a provider's default source (the GitHub App) may; a hook with its
   * own secret speaks only for installations already registered to it, so a leaked hook secret
   * cannot claim an installation.
   */
  introducesInstallations: boolean;
  secrets: string[];
  schemes: { header: string; scheme: SignatureScheme }[];
  /** Where the hook is configured, when hookflow knows: its secret speaks for deliveries from there only. */
  place?: HookPlace | undefined;
  /** The events it may send, when they are fixed (a PubSubHubbub subscription's one event). */
  events?: readonly string[] | undefined;
}

/**
 * Who a delivery says sent it: the hook its hook ID header names, or the PubSubHubbub subscription
 * its callback URL names (`?hub=<id>`, which hookflow put there when it subscribed).
 */
interface Sender {
  hookId?: string | undefined;
  hub?: string | undefined;
}

export type Route =
  { kind: 'ping' } | { kind: 'ignored'; reason: string } | { kind: 'workflow'; workflowType: WorkflowType };

export interface Provider {
  name: string;
  path: string;
  headers: { delivery: string; event?: string | undefined; hookId?: string | undefined };
  /** The query parameter of a PubSubHubbub callback URL that names its subscription. */
  subscriptionParam?: string | undefined;
  eventField?: string | undefined;
  installationField: string;
  repositoryField?: string | undefined;
  /** Declarative providers accept only registered installations; GitHub marks new ones unverified. */
  requireKnownInstallation: boolean;
  knownInstallations: ReadonlySet<string>;
  /**
   * The secrets that speak for the sender a delivery names: its subscription's (none when hookflow
   * has no such subscription), else its hook's, else its provider's default source.
   */
  sourceFor(sender: Sender, recheck?: boolean): Promise<Source>;
  route(event: string, payload: Record<string, unknown>): Route;
}

/**
 * Workflow type per handled GitHub event; the compiler checks each against the exports of
 * workflows/index.ts. Look an event up with `ownValue`: the event name comes from the sender.
 */
export const GITHUB_WORKFLOWS: Readonly<Record<string, WorkflowType>> = {
  installation: 'onInstallation',
  installation_repositories: 'onInstallationRepositories',
  issues: 'onIssues',
  issue_comment: 'onIssueComment',
  pull_request: 'onPullRequest',
  push: 'onPush',
};

/** The source key of a GitHub hook with secrets of its own (stored with the installations it speaks for). */
const hookSourceKey = (hookId: string) => `github:hook:${hookId}`;

export const DECLARATIVE_WORKFLOW: WorkflowType = 'onProviderEvent';
/** Events only the user's app handles. */
const APP_WORKFLOW: WorkflowType = 'onAppEvent';

/** Which events the user's app handles (app/load-app.ts), as the front door needs to know it. */
export interface AppEvents {
  handles(event: string, action: string | null): boolean;
}

export function githubProvider(
  config: Pick<Config, 'webhookPath' | 'webhookSecrets' | 'webhookAllowSha1' | 'sources'>,
  app?: AppEvents,
  /** The hooks hookflow created or imported through the API, their secrets in storage. */
  managed?: ManagedHookSecrets,
): Provider {
  const schemesFor = (allowSha1: boolean) => [
    { header: 'x-hub-signature-256', scheme: GITHUB_SHA256 },
    ...(allowSha1 ? [{ header: 'x-hub-signature', scheme: GITHUB_SHA1 }] : []),
  ];
  const defaultSource: Source = {
    key: 'github',
    introducesInstallations: true,
    secrets: config.webhookSecrets,
    schemes: schemesFor(config.webhookAllowSha1),
  };
  const hooks = new Map<string, Source>(
    config.sources.hooks.map((h) => [
      h.hookId,
      {
        key: hookSourceKey(h.hookId),
        introducesInstallations: false,
        secrets: h.secrets,
        schemes: schemesFor(h.allowSha1),
      },
    ]),
  );
  return {
    name: 'github',
    path: config.webhookPath,
    headers: { delivery: 'x-github-delivery', event: 'x-github-event', hookId: 'x-github-hook-id' },
    subscriptionParam: 'hub',
    installationField: 'installation.id',
    repositoryField: 'repository.full_name',
    requireKnownInstallation: false,
    knownInstallations: new Set(),
    async sourceFor({ hookId, hub }, recheck) {
      if (hub !== undefined) {
        // Named by its callback URL: its own secrets or none, never the App's.
        const sub = await managed?.secretsFor(hubHookId(hub), recheck);
        return {
          key: `github:${hubHookId(hub)}`,
          introducesInstallations: false,
          secrets: sub?.secrets ?? [],
          // GitHub signs PubSubHubbub posts with sha1 (X-Hub-Signature), and with sha256 beside it.
          schemes: schemesFor(true),
          place: sub?.place,
          events: sub?.events,
        };
      }
      if (hookId === undefined) return defaultSource;
      const fromFile = hooks.get(hookId);
      if (fromFile) return fromFile;
      const hook = await managed?.secretsFor(hookId, recheck);
      if (hook === undefined) return defaultSource;
      // All of them retired: no secret, so the hook fails closed (401), never falls back to the App's.
      return {
        key: hookSourceKey(hookId),
        introducesInstallations: false,
        secrets: hook.secrets,
        schemes: schemesFor(false),
        place: hook.place,
      };
    },
    route(event, payload) {
      if (event === 'ping') return { kind: 'ping' };
      const action = typeof payload.action === 'string' ? payload.action : null;
      // The app's handlers see every delivery of the events they name, pushes to any branch included.
      const forApp = app?.handles(event, action) === true;
      const workflowType = ownValue(GITHUB_WORKFLOWS, event);
      if (!workflowType) {
        return forApp
          ? { kind: 'workflow', workflowType: APP_WORKFLOW }
          : { kind: 'ignored', reason: `no workflow handles ${event} events` };
      }
      if (event === 'push' && !forApp) {
        const ref = typeof payload.ref === 'string' ? payload.ref : '';
        const repo = payload.repository as { default_branch?: unknown } | undefined;
        const defaultBranch = typeof repo?.default_branch === 'string' ? repo.default_branch : undefined;
        if (!ref.startsWith('refs/heads/'))
          return { kind: 'ignored', reason: `push to ${ref || 'an unknown ref'} is not a branch push` };
        if (defaultBranch !== undefined && ref !== `refs/heads/${defaultBranch}`) {
          return {
            kind: 'ignored',
            reason: `push to ${ref.slice('refs/heads/'.length)}, not the default branch ${defaultBranch}`,
          };
        }
      }
      return { kind: 'workflow', workflowType };
    },
  };
}

export function declarativeProvider(p: DeclarativeProviderConfig): Provider {
  const source: Source = {
    key: p.name,
    introducesInstallations: false,
    secrets: p.secrets,
    schemes: [{ header: p.headers.signature, scheme: p.signature }],
  };
  const events = new Set(p.events);
  return {
    name: p.name,
    path: p.path,
    headers: { delivery: p.headers.delivery, event: p.headers.event },
    eventField: p.eventField,
    installationField: p.installationField,
    requireKnownInstallation: true,
    knownInstallations: new Set(p.installations),
    sourceFor: () => Promise.resolve(source),
    route: (event) =>
      events.has(event)
        ? { kind: 'workflow', workflowType: DECLARATIVE_WORKFLOW }
        : { kind: 'ignored', reason: `no workflow handles ${event} events` },
  };
}

export function providersFrom(
  config: Pick<Config, 'webhookPath' | 'webhookSecrets' | 'webhookAllowSha1' | 'sources'>,
  app?: AppEvents,
  managed?: ManagedHookSecrets,
): Provider[] {
  return [githubProvider(config, app, managed), ...config.sources.providers.map(declarativeProvider)];
}

/**
 * Reads `a.b.c` from a parsed payload; numbers and strings only (IDs), else undefined. Only the
 * payload's own fields count, never what every object inherits (`constructor.name` is not a field).
 */
export function fieldAt(payload: unknown, dotted: string): string | undefined {
  let value: unknown = payload;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = ownValue(value as Record<string, unknown>, part);
  }
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
