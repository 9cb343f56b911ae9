// The steps of a hook secret's rotation (workflows/rotate-hook-secret.ts). Each is safe to run again:
// the new secret is found by its rotation's ID rather than made twice, and setting it on GitHub or
// retiring the old ones lands in the same state however often it runs.
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../lib/contracts/failure-types';
import type { Sealer } from '../lib/crypto';
import { hooksApi, type HookPlace } from '../lib/github-hooks';
import { generateSecret, openSecrets, sealSecrets, type HookSecret } from '../lib/hook-secrets';
import type { Queryable } from '../lib/storage/db';
import { getManagedHook, putManagedHook, type ManagedHookRow } from '../lib/storage/managed-hooks';
import type { ActivityDeps } from './activity-deps';
import { githubCaller } from './github-call';

const PROVIDER = 'github';

export function createHookRotationActivities(
  deps: Pick<ActivityDeps, 'store' | 'api' | 'hookAdmin' | 'metrics'>,
) {
  const admin = () => {
    if (!deps.hookAdmin?.github) {
      throw ApplicationFailure.nonRetryable(
        'rotating a hook secret needs GITHUB_TOKEN on the worker: a token that may administer the hook (admin:repo_hook, admin:org_hook)',
        FAILURE.notConfigured,
      );
    }
    return { github: deps.hookAdmin.github, sealer: deps.hookAdmin.sealer() };
  };
  const { call } = githubCaller({ github: deps.hookAdmin?.github, api: deps.api });

  async function load(q: Queryable, hookId: string, sealer: Sealer) {
    const row = await getManagedHook(q, PROVIDER, hookId, true);
    if (!row) {
      throw ApplicationFailure.nonRetryable(
        `hookflow manages no hook ${hookId} (deleted meanwhile?)`,
        FAILURE.notFound,
      );
    }
    return { row, secrets: openSecrets(sealer, row.sealedSecrets) };
  }
  const save = (q: Queryable, row: ManagedHookRow, sealer: Sealer, secrets: HookSecret[]) =>
    putManagedHook(q, { ...row, sealedSecrets: sealSecrets(sealer, secrets) });
  const placeOf = (row: ManagedHookRow): HookPlace => ({ scope: row.scope, name: row.target });
  const newest = (secrets: HookSecret[], rotation: string) => {
    const found = secrets.find((s) => s.rotation === rotation);
    if (!found)
      throw ApplicationFailure.nonRetryable(`rotation ${rotation} has no secret stored`, FAILURE.notFound);
    return found;
  };
  /** Every other secret stops being accepted at `at`, or sooner if it already was to. */
  const retireOthers = (secrets: HookSecret[], rotation: string, at: string): HookSecret[] =>
    secrets.map((s) =>
      s.rotation === rotation || (s.retiresAt !== null && Date.parse(s.retiresAt) <= Date.parse(at))
        ? s
        : { ...s, retiresAt: at },
    );

  return {
    /** Stores a new secret beside the old ones (accepted from now on); in the leak mode the old ones stop now. */
    async beginHookRotation(a: { hookId: string; rotation: string; leak: boolean }): Promise<void> {
      const { sealer } = admin();
      await deps.store.db.transaction(async (tx) => {
        const { row, secrets } = await load(tx, a.hookId, sealer);
        if (secrets.some((s) => s.rotation === a.rotation)) return;
        const fresh: HookSecret = { secret: generateSecret(), retiresAt: null, rotation: a.rotation };
        const kept = a.leak ? retireOthers(secrets, a.rotation, new Date().toISOString()) : secrets;
        await save(tx, row, sealer, [fresh, ...kept]);
      });
    },

    /** Sets the rotation's secret on GitHub, through the config endpoint (it changes only what it is given). */
    async setHookSecretOnGitHub(a: { hookId: string; rotation: string }): Promise<void> {
      const { github, sealer } = admin();
      const { row, secrets } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      await call(() =>
        github.request({
          method: 'PATCH',
          url: `${path}/${a.hookId}/config`,
          route: `${route}/{hook_id}/config`,
          installation: 'token',
          requestId: `rotate:${a.rotation}`,
          body: { secret: newest(secrets, a.rotation).secret },
        }),
      );
    },

    /** Asks GitHub for a ping; returns when it asked (the ping to look for is delivered after that). */
    async pingManagedHook(a: { hookId: string; rotation: string }): Promise<string> {
      const { github, sealer } = admin();
      const { row } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      const asked = new Date();
      asked.setMilliseconds(0); // GitHub's delivery times have whole seconds
      await call(() =>
        github.request({
          method: 'POST',
          url: `${path}/${a.hookId}/pings`,
          route: `${route}/{hook_id}/pings`,
          installation: 'token',
          requestId: `rotate:${a.rotation}`,
        }),
      );
      return asked.toISOString();
    },

    /**
     * Whether GitHub's delivery log has a ping delivered since `since` that hookflow answered with a
     * success: GitHub signs with the secret it has, which is the new one by then, so hookflow verified it.
     */
    async hookPingAnswered(a: { hookId: string; rotation: string; since: string }): Promise<boolean> {
      const { github, sealer } = admin();
      const { row } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      const res = await call(() =>
        github.request<{ event: string; delivered_at: string; status_code: number }[]>({
          method: 'GET',
          url: `${path}/${a.hookId}/deliveries?per_page=30`,
          route: `${route}/{hook_id}/deliveries`,
          installation: 'token',
          requestId: `rotate:${a.rotation}`,
        }),
      );
      return res.data.some(
        (d) =>
          d.event === 'ping' &&
          Date.parse(d.delivered_at) >= Date.parse(a.since) &&
          d.status_code >= 200 &&
          d.status_code < 300,
      );
    },

    /** The old secrets stop being accepted `graceMs` from now; returns when. */
    async retireOldHookSecrets(a: { hookId: string; rotation: string; graceMs: number }): Promise<string> {
      const { sealer } = admin();
      const at = new Date(Date.now() + a.graceMs).toISOString();
      await deps.store.db.transaction(async (tx) => {
        const { row, secrets } = await load(tx, a.hookId, sealer);
        await save(tx, row, sealer, retireOthers(secrets, a.rotation, at));
      });
      return at;
    },

    /** Forgets the secrets that are no longer accepted, and counts the rotation. */
    async finishHookRotation(a: {
      hookId: string;
      rotation: string;
      result: 'confirmed' | 'unconfirmed' | 'failed';
    }): Promise<void> {
      if (a.result !== 'failed') {
        const { sealer } = admin();
        const now = Date.now();
        await deps.store.db.transaction(async (tx) => {
          const { row, secrets } = await load(tx, a.hookId, sealer);
          await save(
            tx,
            row,
            sealer,
            secrets.filter((s) => s.retiresAt === null || Date.parse(s.retiresAt) > now),
          );
        });
      }
      deps.metrics?.recordSecretRotation(a.result);
    },
  };
}
