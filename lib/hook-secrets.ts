// The secrets of the hooks hookflow manages: one fresh random secret per hook (the integrator
// guides ask for a different secret per user of a service, so one leak affects no other), kept
// sealed in storage (lib/crypto.ts) with the time each stops being accepted, and read by the front
// door through a short cache, so a hook created by any process is known to every server replica at
// its first delivery, with no restart.
import { randomBytes } from 'node:crypto';
import type { Sealer } from './crypto';
import type { Queryable } from './storage/db';
import { getManagedHook } from './storage/managed-hooks';

export interface HookSecret {
  secret: string;
  /** When it stops being accepted (an old secret in a rotation's grace period); null: no end. */
  retiresAt: string | null;
}

/** 32 random bytes, URL-safe: what GitHub's settings page would have a person type. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sealSecrets(sealer: Sealer, secrets: HookSecret[]): string {
  return sealer.seal(JSON.stringify(secrets));
}

export function openSecrets(sealer: Sealer, sealed: string): HookSecret[] {
  return JSON.parse(sealer.open(sealed)) as HookSecret[];
}

/** The secrets a delivery may be signed with at `now`: every one not yet retired, newest first. */
function liveSecrets(secrets: HookSecret[], now: number): string[] {
  return secrets.filter((s) => s.retiresAt === null || Date.parse(s.retiresAt) > now).map((s) => s.secret);
}

export interface ManagedHookSecrets {
  /** The live secrets of the managed hook with this ID, or undefined when hookflow manages no such hook. */
  secretsFor(hookId: string): Promise<string[] | undefined>;
}

/**
 * Reads each hook's secrets from storage at most once per `cacheMs` per process (a miss too: a
 * stream of deliveries naming unknown hook IDs costs one read per ID and period, and the cache holds
 * at most `maxEntries`). A hook created elsewhere is read at its first delivery here; one deleted
 * elsewhere stops verifying here within `cacheMs`.
 */
export function managedHookSecrets(
  db: Queryable,
  sealer: Sealer,
  o: { provider: string; cacheMs: number; maxEntries?: number; now?: () => number },
): ManagedHookSecrets {
  const now = o.now ?? Date.now;
  const maxEntries = o.maxEntries ?? 10_000;
  const cache = new Map<string, { until: number; secrets: Promise<HookSecret[] | undefined> }>();

  async function read(hookId: string): Promise<HookSecret[] | undefined> {
    const row = await getManagedHook(db, o.provider, hookId);
    if (!row) return undefined;
    try {
      return openSecrets(sealer, row.sealedSecrets);
    } catch (err) {
      throw new Error(
        `cannot open the secrets of hook ${hookId} (${(err as Error).message}): every hookflow process must have the HOOKFLOW_ENCRYPTION_KEY that sealed them`,
        { cause: err },
      );
    }
  }

  return {
    async secretsFor(hookId) {
      const t = now();
      let entry = cache.get(hookId);
      if (!entry || entry.until <= t) {
        if (cache.size >= maxEntries) {
          // Expired entries first; if none, the oldest (a Map keeps insertion order).
          for (const [k, v] of cache) if (v.until <= t) cache.delete(k);
          if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        }
        entry = { until: t + o.cacheMs, secrets: read(hookId) };
        cache.delete(hookId);
        cache.set(hookId, entry);
        // A failed read is not remembered: the next delivery asks again.
        const mine = entry;
        mine.secrets.catch(() => {
          if (cache.get(hookId) === mine) cache.delete(hookId);
        });
      }
      const secrets = await entry.secrets;
      return secrets && liveSecrets(secrets, now());
    },
  };
}
