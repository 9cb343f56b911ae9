// Installation access tokens: refreshed before they expire (they live one hour), so no call is refused
// for an expired token; one refresh at a time across every worker (a lock per installation); shared
// through storage and sealed there, so a stolen database holds no usable token. A token's length
// is never assumed (GitHub is rolling out longer ones).
import type { Sealer } from '../../lib/crypto';
import { readToken, writeToken } from '../../lib/storage/api-state';
import type { Queryable } from '../../lib/storage/db';
import type { WithLock } from '../../lib/storage/locks';

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

export interface TokenStoreDeps {
  provider: string;
  db: Queryable;
  withLock: WithLock;
  sealer: Sealer;
  /** Refresh when less than this remains. */
  refreshMarginMs: number;
  now: () => number;
  /** Asks the provider for a new token (POST /app/installations/{id}/access_tokens). */
  issue: (installation: string) => Promise<IssuedToken>;
  onRefresh?: (result: 'ok' | 'failed') => void;
}

export function createTokenStore(d: TokenStoreDeps) {
  const fresh = (t: { expiresAt: number } | undefined) =>
    t !== undefined && t.expiresAt - d.now() > d.refreshMarginMs;
  /** A token sealed with a key no longer configured is as good as none: a new one is issued. */
  const open = (sealed: string) => {
    try {
      return d.sealer.open(sealed);
    } catch {
      return undefined;
    }
  };

  return {
    /** A token for the installation; `rejected` is one the provider just refused (a 401), never handed out again. */
    async get(installation: string, rejected?: string): Promise<string> {
      const stored = await readToken(d.db, d.provider, installation);
      if (stored && fresh(stored)) {
        const token = open(stored.sealed);
        if (token !== undefined && token !== rejected) return token;
      }
      return d.withLock(`token:${d.provider}:${installation}`, 30_000, async (q) => {
        // Another worker may have refreshed while this one waited for the lock.
        const again = await readToken(q, d.provider, installation);
        if (again && fresh(again)) {
          const token = open(again.sealed);
          if (token !== undefined && token !== rejected) return token;
        }
        let issued: IssuedToken;
        try {
          issued = await d.issue(installation);
        } catch (err) {
          d.onRefresh?.('failed');
          throw err;
        }
        await writeToken(q, d.provider, installation, d.sealer.seal(issued.token), issued.expiresAt);
        d.onRefresh?.('ok');
        return issued.token;
      });
    },
  };
}
