// The installation lifecycle: an `installation` webhook registers the installation and its
// repositories (so a sync knows which installation to call with); an uninstall stops its sync jobs
// and deletes what hookflow stored for it, since only the data the integration needs is kept.
import { ApplicationFailure } from '@temporalio/activity';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { FAILURE } from '../lib/contracts/failure-types';
import type { ActivityDeps } from './activity-deps';
import { loadPayload } from './payload';
import { stopSyncs } from './stop-syncs';

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
      FAILURE.malformedPayload,
    );
  }
  return ref.installation;
}

export function createInstallationActivities(deps: Pick<ActivityDeps, 'store' | 'logger' | 'temporal'>) {
  const { store, logger } = deps;
  return {
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
          FAILURE.installationOwnedElsewhere,
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
  };
}
