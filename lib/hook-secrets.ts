// The secrets of the hooks hookflow manages: one fresh random secret per hook (the integrator
// guides ask for a different secret per user of a service, so one leak affects no other), kept
// sealed in storage (lib/crypto.ts) with the time each stops being accepted, and read by the front
// door through a short cache, so a hook created by any process is known to every server replica at
// its first delivery, with no restart.
import { randomBytes } from 'node:crypto';
import type { Sealer } from './crypto';
import type { HookPlace } from './github-hooks';
import type { Queryable } from './storage/db';
import { getManagedHook } from './storage/managed-hooks';

export interface HookSecret {
  secret: string;
  /** The rotation that made it (its workflow ID), so a retried step finds it rather than making another. */
  rotation?: string;
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
  const text = sealer.open(sealed);
  try {
    return JSON.parse(text) as HookSecret[];
  } catch {
    // Never the parser's message: it would quote the opened text.
    throw new Error('the opened value is not a list of secrets');
  }
}

/** The secrets a delivery may be signed with at `now`: every one not yet retired, newest first. */
function liveSecrets(secrets: HookSecret[], now: number): string[] {
  return secrets.filter((s) => s.retiresAt === null || Date.parse(s.retiresAt) > now).map((s) => s.secret);
}

/** What the front door needs of a managed hook (or PubSubHubbub subscription). */
interface ManagedSender {
  /** Its live secrets, newest first. */
  secrets: string[];
  /** Where it is configured: its secrets speak for deliveries from there only. */
  place: HookPlace;
  /** A subscription is for one event; a hook's events are GitHub's to filter (undefined). */
  events: readonly string[] | undefined;
}

export interface ManagedHookSecrets {
  /**
   * The managed hook with this ID (`hub:<id>` for a subscription), or undefined when hookflow
   * manages no such hook.
   */
  secretsFor(hookId: string, recheck?: boolean): Promise<ManagedSender | undefined>;
}

/**
 * The front door's view of the managed hooks. It keeps the set of their IDs (a small table) and
 * reads it again when a delivery names an ID it lacks, at most once per `refreshMs` (a flood of
 * made-up hook IDs costs a few reads a second, not one each); a hook's secrets are read at its
 * first delivery and trusted for `cacheMs`. So a hook created by any process is found at its first
 * delivery here, and one deleted elsewhere stops verifying here within `cacheMs`. A delivery whose
 * verification was unusual (no secret matched, or only an older one) asks with `recheck`: what was
 * read more than `refreshMs` ago is read again, so a rotation's new secret verifies at once, and a
 * leaked secret retired elsewhere stops verifying here within `refreshMs`.
 */
export function managedHookSecrets(
  db: Queryable,
  /** Called at the first managed hook read, so a process with none never needs a key. */
  sealer: () => Sealer,
  o: { provider: string; cacheMs: number; refreshMs?: number; now?: () => number },
): ManagedHookSecrets {
  const now = o.now ?? Date.now;
  const refreshMs = o.refreshMs ?? Math.min(250, o.cacheMs);
  let ids: { set: Set<string>; at: number } = { set: new Set(), at: -Infinity };
  let refreshing: Promise<void> | undefined;
  const cache = new Map<
    string,
    {
      at: number;
      until: number;
      entry: Promise<(Omit<ManagedSender, 'secrets'> & { secrets: HookSecret[] }) | undefined>;
    }
  >();

  function refreshIds(): Promise<void> {
    refreshing ??= (async () => {
      const started = now();
      try {
        const { rows } = await db.query<{ hook_id: string }>(
          'SELECT hook_id FROM managed_hooks WHERE provider = $1',
          [o.provider],
        );
        ids = { set: new Set(rows.map((r) => r.hook_id)), at: started };
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  async function read(hookId: string) {
    const row = await getManagedHook(db, o.provider, hookId);
    if (!row) return undefined;
    try {
      return {
        secrets: openSecrets(sealer(), row.sealedSecrets),
        place: { scope: row.scope, name: row.target },
        events: row.kind === 'hub' ? row.events : undefined,
      };
    } catch (err) {
      throw new Error(
        `cannot open the secrets of hook ${hookId} (${(err as Error).message}): every hookflow process must have the HOOKFLOW_ENCRYPTION_KEY that sealed them`,
        { cause: err },
      );
    }
  }

  return {
    async secretsFor(hookId, recheck = false) {
      const t = now();
      const stale = t - ids.at >= o.cacheMs;
      if (stale || (!ids.set.has(hookId) && t - ids.at >= refreshMs)) await refreshIds();
      if (!ids.set.has(hookId)) {
        cache.delete(hookId);
        return undefined;
      }
      let cached = cache.get(hookId);
      if (!cached || cached.until <= t || (recheck && t - cached.at >= refreshMs)) {
        const mine = { at: t, until: t + o.cacheMs, entry: read(hookId) };
        cache.set(hookId, mine);
        // A failed read is not remembered: the next delivery asks again.
        mine.entry.catch(() => {
          if (cache.get(hookId) === mine) cache.delete(hookId);
        });
        cached = mine;
      }
      const found = await cached.entry;
      return found && { ...found, secrets: liveSecrets(found.secrets, now()) };
    },
  };
}
