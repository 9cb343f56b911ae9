// Activities are built by a factory over injected dependencies (samples-typescript
// activities-dependency-injection), so tests hand them a real store of their own.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DeliveryRef } from '../lib/delivery';
import { createGitHubActivities, type GitHubActivityDeps } from './github-activities';
import { loadPayload } from './payload';
import { stopSyncs } from './stop-syncs';

export type ActivityDeps = GitHubActivityDeps;

interface RepoJson {
  id?: unknown;
  full_name?: unknown;
}

function repositories(list: unknown): { id: number; fullName: string }[] {
  if (!Array.isArray(list)) return [];
  return (list as RepoJson[])
    .filter((r) => typeof r.id === 'number' && typeof r.full_name === 'string')
    .map((r) => ({ id: r.id as number, fullName: r.full_name as string }));
}

function requireInstallation(ref: DeliveryRef): string {
  if (ref.installation === null) {
    throw ApplicationFailure.nonRetryable(
      `${ref.event} delivery ${ref.key} names no installation`,
      'MalformedPayload',
    );
  }
  return ref.installation;
}

/** A one-line description of what the delivery is about, recorded as its outcome. */
export function summarise(ref: DeliveryRef, payload: Record<string, unknown>): string {
  const name = ref.action ? `${ref.event}.${ref.action}` : ref.event;
  const where = ref.repository ? ` in ${ref.repository}` : ref.installation ? ` for ${ref.installation}` : '';
  const number = (v: unknown) =>
    typeof v === 'object' && v !== null ? (v as { number?: unknown }).number : undefined;
  let what = '';
  if (ref.event === 'issues' || ref.event === 'issue_comment') {
    const n = number(payload.issue);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'pull_request') {
    const n = payload.number ?? number(payload.pull_request);
    if (typeof n === 'number') what = ` #${n}`;
  } else if (ref.event === 'push') {
    const commits = Array.isArray(payload.commits) ? payload.commits.length : 0;
    what = ` of ${commits} commit${commits === 1 ? '' : 's'} to ${String(payload.ref)}`;
  }
  return `${name}${what}${where}`;
}

export function createActivities(deps: ActivityDeps) {
  const { store, logger } = deps;
  return {
    ...createGitHubActivities(deps),
    async describeDelivery(ref: DeliveryRef): Promise<string> {
      const summary = summarise(ref, await loadPayload(store, ref.key));
      logger.info({ delivery: ref.key, summary }, 'delivery handled');
      return summary;
    },

    async registerInstallation(ref: DeliveryRef): Promise<string> {
      const installationId = requireInstallation(ref);
      const payload = await loadPayload(store, ref.key);
      const installation = payload.installation as { account?: { login?: unknown } } | undefined;
      const login = installation?.account?.login;
      const repos = repositories(payload.repositories);
      const registered = await store.registerInstallation(
        {
          provider: ref.provider,
          installationId,
          source: ref.source,
          account: typeof login === 'string' ? login : null,
        },
        repos,
      );
      if (!registered) {
        throw ApplicationFailure.nonRetryable(
          `installation ${installationId} is registered to another hook than ${ref.source}`,
          'InstallationOwnedElsewhere',
        );
      }
      logger.info(
        { delivery: ref.key, installation: installationId, repositories: repos.length },
        'installation registered',
      );
      return `installation ${installationId} registered with ${repos.length} repositories`;
    },

    async removeInstallation(ref: DeliveryRef): Promise<string> {
      const installationId = requireInstallation(ref);
      const repos = await store.removeInstallation(ref.provider, installationId, ref.key);
      const stopped = await stopSyncs(deps.temporal?.client, repos);
      logger.info(
        { delivery: ref.key, installation: installationId, repositories: repos.length, stopped },
        'installation removed with its stored data',
      );
      return `installation ${installationId} removed with its stored data (${repos.length} repositories, ${stopped} sync jobs or schedules stopped)`;
    },

    async updateInstallationRepositories(ref: DeliveryRef): Promise<string> {
      const installationId = requireInstallation(ref);
      const payload = await loadPayload(store, ref.key);
      const added = repositories(payload.repositories_added);
      const removed = repositories(payload.repositories_removed).map((r) => r.id);
      await store.updateRepositories(ref.provider, installationId, added, removed);
      return `installation ${installationId}: ${added.length} repositories added, ${removed.length} removed`;
    },

    async finishDelivery(key: string, outcome: 'completed' | 'failed', reason: string | null): Promise<void> {
      await store.finishDelivery(
        key,
        outcome,
        reason,
        Context.current().info.workflowExecution?.runId ?? null,
      );
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
