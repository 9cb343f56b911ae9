// The optional source-address allow-list (HOOKFLOW_IP_ALLOWLIST=github-meta): GitHub publishes the
// addresses its hooks are sent from in the `hooks` ranges of `GET /meta`
// (https://docs.github.com/en/rest/meta/meta). hookflow fetches them through its API client, keeps
// them in storage (every replica checks the same list; a restart during an outage still has one),
// refreshes them on a schedule and keeps the last good list when a refresh fails. A delivery is
// checked before anything else of it is read. X-Forwarded-For counts only when the connection comes
// from a configured proxy (HOOKFLOW_TRUSTED_PROXIES). Ranges are matched by Node's net.BlockList,
// which also matches IPv4-mapped IPv6 addresses (`::ffff:192.30.252.1`) against IPv4 ranges.
import { isIP, type BlockList } from 'node:net';
import type { Logger } from '../lib/logger';
import { parseRange, rangeList } from '../lib/net';
import type { Queryable } from '../lib/storage/db';
import { getAllowList, putAllowList, type StoredAllowList } from '../lib/storage/ip-allowlists';

const LIST_NAME = 'github-meta';

function within(list: BlockList, address: string): boolean {
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The address a request came from: the connection's peer; or, when the peer is a trusted proxy, the
 * nearest address in X-Forwarded-For (read from the right) that is not a trusted proxy itself. An
 * entry that is not an address makes the header unusable: nothing left of it can be trusted.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: BlockList | undefined,
): { address: string } | { malformed: string } {
  let address = peer ?? '';
  if (!trusted || !within(trusted, address) || !forwardedFor) return { address };
  const hops = forwardedFor.split(',').map((h) => h.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    if (isIP(hop) === 0) return { malformed: hop.slice(0, 64) };
    address = hop;
    if (!within(trusted, hop)) break;
  }
  return { address };
}

interface AddressRefusal {
  status: 403 | 503;
  reason: 'not-allowed' | 'no-list' | 'bad-forwarded-for';
  message: string;
}

export interface AddressCheck {
  /** Undefined when a request from `peer` (forwarded for `forwardedFor`) may go on, else why not. */
  refusal(peer: string | undefined, forwardedFor: string | undefined): AddressRefusal | undefined;
}

export interface MetaAllowList extends AddressCheck {
  /** Settles once what storage holds has been read (GitHub is asked in the background). */
  loaded: Promise<void>;
  /** Stops refreshing; settles once a refresh under way has ended. */
  close(): Promise<void>;
}

/**
 * GitHub's hook addresses, refreshed every `refreshMs` (sooner, every `retryMs`, after a failure).
 * Each replica first reads what storage holds, so one that another replica refreshed lately asks
 * GitHub nothing, and a restart while GitHub is away starts with the last list at once. Until a list
 * is loaded, deliveries are answered 503 (GitHub's delivery can be redelivered; a list-less server
 * that let everything in would defeat the setting).
 */
export function metaAllowList(o: {
  db: Queryable;
  /** The `hooks` ranges of `GET /meta`, through hookflow's API client. */
  fetchRanges: () => Promise<string[]>;
  refreshMs: number;
  retryMs?: number;
  trustedProxies: BlockList | undefined;
  logger: Logger;
  metrics?: { recordAllowListRefresh(result: 'ok' | 'failed'): void } | undefined;
  now?: () => number;
}): MetaAllowList {
  const now = o.now ?? Date.now;
  const retryMs = o.retryMs ?? Math.min(o.refreshMs, 60_000);
  let current: { list: BlockList; fetchedAt: Date } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  function adopt(ranges: readonly string[], fetchedAt: Date): void {
    const { list, invalid } = rangeList(ranges);
    if (invalid.length > 0)
      o.logger.warn(
        { invalid: invalid.slice(0, 5) },
        'allow-list entries that are not address ranges were left out',
      );
    current = { list, fetchedAt };
  }

  /** A stored list that cannot be read (edited by hand, say) is no list: GitHub is asked instead. */
  function adoptStored(stored: StoredAllowList): void {
    if (!Array.isArray(stored.ranges) || Number.isNaN(stored.fetchedAt.getTime())) {
      o.logger.warn('the stored allow-list is unusable: asking GitHub for a new one');
      return;
    }
    adopt(
      stored.ranges.filter((r): r is string => typeof r === 'string'),
      stored.fetchedAt,
    );
  }

  /** How long the stored list stays fresh; 0 when it is stale (or dated in the future: a wrong clock). */
  function freshFor(stored: StoredAllowList | undefined): number {
    if (!stored || !Array.isArray(stored.ranges)) return 0;
    const age = now() - stored.fetchedAt.getTime();
    return age >= 0 && age < o.refreshMs ? o.refreshMs - age : 0;
  }

  /** What storage holds; unreadable (storage away, a row edited by hand) is nothing: GitHub is asked. */
  function readStored(): Promise<StoredAllowList | undefined> {
    return getAllowList(o.db, LIST_NAME).catch((err: unknown) => {
      o.logger.warn({ err }, 'could not read the stored allow-list: asking GitHub');
      return undefined;
    });
  }

  /** One refresh; what it answers is how long until the next. */
  async function refresh(): Promise<number> {
    try {
      const stored = await readStored();
      const fresh = freshFor(stored);
      if (stored && (fresh > 0 || !current)) adoptStored(stored);
      if (fresh > 0) return fresh;
      const ranges = (await o.fetchRanges()).filter((r) => parseRange(r) !== undefined);
      if (ranges.length === 0) throw new Error('GET /meta listed no hooks address ranges');
      const fetchedAt = new Date(now());
      // In use before it is stored: a storage failure does not waste what GitHub answered.
      adopt(ranges, fetchedAt);
      o.metrics?.recordAllowListRefresh('ok');
      o.logger.info({ ranges: ranges.length }, "GitHub's hook addresses loaded for the allow-list");
      await putAllowList(o.db, LIST_NAME, { ranges, fetchedAt }).catch((err: unknown) =>
        o.logger.warn({ err }, "could not store GitHub's hook addresses: other replicas will ask GitHub"),
      );
      return o.refreshMs;
    } catch (err) {
      o.metrics?.recordAllowListRefresh('failed');
      o.logger.warn(
        { err, keptFrom: current?.fetchedAt.toISOString() },
        current
          ? "could not refresh GitHub's hook addresses: the last good list is kept"
          : "could not load GitHub's hook addresses: deliveries are answered 503 until they load",
      );
      return retryMs;
    }
  }

  function schedule(ms: number): void {
    if (closed) return;
    timer = setTimeout(() => {
      running = refresh()
        .catch(() => retryMs)
        .then((next) => {
          running = undefined;
          schedule(next);
        });
    }, ms);
    timer.unref();
  }

  // What storage holds is used at once; GitHub is asked in the background when it is stale, so a
  // start never waits on GitHub.
  const loaded = (async () => {
    const stored = await readStored();
    if (stored) adoptStored(stored);
    schedule(freshFor(stored));
  })();

  return {
    loaded,
    refusal(peer, forwardedFor) {
      const from = clientAddress(peer, forwardedFor, o.trustedProxies);
      if ('malformed' in from)
        return {
          status: 403,
          reason: 'bad-forwarded-for',
          message: `X-Forwarded-For from the trusted proxy names "${from.malformed}", which is not an address`,
        };
      if (!current)
        return {
          status: 503,
          reason: 'no-list',
          message: "hookflow has not loaded GitHub's hook addresses (GET /meta) yet; redeliver later",
        };
      if (!within(current.list, from.address))
        return {
          status: 403,
          reason: 'not-allowed',
          message: `${from.address || 'the sender'} is not one of GitHub's hook addresses (GET /meta)`,
        };
      return undefined;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
