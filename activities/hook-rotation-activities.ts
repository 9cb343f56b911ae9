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
import type { ApiResponse } from './github/client';
import { githubCaller } from './github-call';

const PROVIDER = 'github';

interface LogEntry {
  id: number;
  event: string;
  status_code: number;
}

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
    let sealer: Sealer;
    try {
      sealer = deps.hookAdmin.sealer();
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, FAILURE.notConfigured);
    }
    return { github: deps.hookAdmin.github, sealer };
  };
  const { call } = githubCaller({ github: deps.hookAdmin?.github, api: deps.api });

  /** The hook's row and secrets; `forUpdate` (inside a transaction) locks the row until it ends. */
  async function load(q: Queryable, hookId: string, sealer: Sealer, forUpdate = false) {
    const row = await getManagedHook(q, PROVIDER, hookId, forUpdate);
    if (!row) {
      throw ApplicationFailure.nonRetryable(
        `hookflow manages no hook ${hookId} (deleted meanwhile?)`,
        FAILURE.notFound,
      );
    }
    try {
      return { row, secrets: openSecrets(sealer, row.sealedSecrets) };
    } catch (err) {
      // No retry brings the right key: fail visibly rather than retry forever.
      throw ApplicationFailure.nonRetryable(
        `cannot open hook ${hookId}'s secrets (${(err as Error).message}): the worker needs the HOOKFLOW_ENCRYPTION_KEY the CLI and the servers use`,
        FAILURE.notConfigured,
      );
    }
  }
  const save = (q: Queryable, row: ManagedHookRow, sealer: Sealer, secrets: HookSecret[]) =>
    putManagedHook(q, { ...row, sealedSecrets: sealSecrets(sealer, secrets) });
  const placeOf = (row: ManagedHookRow): HookPlace => ({ scope: row.scope, name: row.target });
  /** The rotation's secret; gone means the hook was deleted (and maybe imported again) meanwhile. */
  const newest = (secrets: HookSecret[], rotation: string) => {
    const found = secrets.find((s) => s.rotation === rotation);
    if (!found)
      throw ApplicationFailure.nonRetryable(
        `rotation ${rotation} has no secret stored (the hook was deleted or imported again meanwhile)`,
        FAILURE.notFound,
      );
    return found;
  };
  /** Every other secret stops being accepted at `at`, or sooner if it already was to. */
  const retireOthers = (secrets: HookSecret[], rotation: string, at: string): HookSecret[] =>
    secrets.map((s) =>
      s.rotation === rotation || (s.retiresAt !== null && Date.parse(s.retiresAt) <= Date.parse(at))
        ? s
        : { ...s, retiresAt: at },
    );
  /** When the last of the rotation's predecessors stops being accepted, as stored. */
  const latestRetirement = (secrets: HookSecret[], rotation: string): string | null =>
    secrets
      .flatMap((s) => (s.rotation !== rotation && s.retiresAt !== null ? [s.retiresAt] : []))
      .sort()
      .at(-1) ?? null;
  const request = <T>(
    a: { hookId: string; rotation: string },
    method: string,
    url: string,
    route: string,
    body?: unknown,
  ) =>
    call(() =>
      admin().github.request<T>({
        method,
        url,
        route,
        installation: 'token',
        requestId: `rotate:${a.rotation}`,
        ...(body === undefined ? {} : { body }),
      }),
    );

  return {
    /**
     * Stores a new secret beside the old ones (accepted from now on); in the leak mode the old ones
     * stop now. Returns when the old ones stop, if that is decided (the leak mode).
     */
    async beginHookRotation(a: { hookId: string; rotation: string; leak: boolean }): Promise<string | null> {
      const { sealer } = admin();
      return deps.store.db.transaction(async (tx) => {
        const { row, secrets } = await load(tx, a.hookId, sealer, true);
        let next = secrets;
        if (!secrets.some((s) => s.rotation === a.rotation)) {
          const fresh: HookSecret = { secret: generateSecret(), retiresAt: null, rotation: a.rotation };
          next = [fresh, ...(a.leak ? retireOthers(secrets, a.rotation, new Date().toISOString()) : secrets)];
          await save(tx, row, sealer, next);
        }
        return latestRetirement(next, a.rotation);
      });
    },

    /** Sets the rotation's secret on GitHub, through the config endpoint (it changes only what it is given). */
    async setHookSecretOnGitHub(a: { hookId: string; rotation: string }): Promise<void> {
      const { sealer } = admin();
      const { row, secrets } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      await request(a, 'PATCH', `${path}/${a.hookId}/config`, `${route}/{hook_id}/config`, {
        secret: newest(secrets, a.rotation).secret,
      });
    },

    /**
     * Asks GitHub for a ping; returns the newest delivery ID in the hook's log before it (the ping
     * to look for comes after it: IDs order GitHub's log, whatever the clocks say).
     */
    async pingManagedHook(a: { hookId: string; rotation: string }): Promise<number> {
      const { sealer } = admin();
      const { row } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      const latest = await request<LogEntry[]>(
        a,
        'GET',
        `${path}/${a.hookId}/deliveries?per_page=1`,
        `${route}/{hook_id}/deliveries`,
      );
      await request(a, 'POST', `${path}/${a.hookId}/pings`, `${route}/{hook_id}/pings`);
      return latest.data[0]?.id ?? 0;
    },

    /**
     * Whether GitHub's log has a ping after delivery `after` that hookflow answered with a success.
     * While the old secret is still accepted, hookflow answers a ping that only the old secret
     * verifies with 409, so a success means GitHub signed it with the new secret.
     */
    async hookPingAnswered(a: { hookId: string; rotation: string; after: number }): Promise<boolean> {
      const { sealer } = admin();
      const { row } = await load(deps.store.db, a.hookId, sealer);
      const { path, route } = hooksApi(placeOf(row));
      let url: string | undefined = `${path}/${a.hookId}/deliveries?per_page=100`;
      for (let page = 0; url !== undefined && page < 10; page++) {
        const res: ApiResponse<LogEntry[]> = await request<LogEntry[]>(
          a,
          'GET',
          url,
          `${route}/{hook_id}/deliveries`,
        );
        const newer = res.data.filter((d) => d.id > a.after);
        if (newer.some((d) => d.event === 'ping' && d.status_code >= 200 && d.status_code < 300)) return true;
        // Newest first: a page that reaches `after` is the last one to read.
        if (newer.length < res.data.length) return false;
        url = res.next;
      }
      return false;
    },

    /** The old secrets stop being accepted `graceMs` from now; returns when, as stored. */
    async retireOldHookSecrets(a: { hookId: string; rotation: string; graceMs: number }): Promise<string> {
      const { sealer } = admin();
      const at = new Date(Date.now() + a.graceMs).toISOString();
      return deps.store.db.transaction(async (tx) => {
        const { row, secrets } = await load(tx, a.hookId, sealer, true);
        newest(secrets, a.rotation);
        const retired = retireOthers(secrets, a.rotation, at);
        await save(tx, row, sealer, retired);
        // An earlier attempt's time, if this one is a retry.
        return latestRetirement(retired, a.rotation) ?? at;
      });
    },

    /** Forgets the secrets retired by `retiredAt` (the workflow's word, not this worker's clock), and counts the rotation. */
    async finishHookRotation(a: {
      hookId: string;
      rotation: string;
      result: 'confirmed' | 'unconfirmed' | 'failed';
      retiredAt?: string | null;
    }): Promise<void> {
      if (a.result !== 'failed' && a.retiredAt) {
        const { sealer } = admin();
        const until = Date.parse(a.retiredAt);
        await deps.store.db.transaction(async (tx) => {
          const { row, secrets } = await load(tx, a.hookId, sealer, true);
          newest(secrets, a.rotation);
          await save(
            tx,
            row,
            sealer,
            secrets.filter((s) => s.retiresAt === null || Date.parse(s.retiresAt) > until),
          );
        });
      }
      deps.metrics?.recordSecretRotation(a.result);
    },
  };
}
