// Parsers for the CLI's option values. Each refuses a bad value with the reason (commander turns it
// into `error: option '--since <when>' argument 'x' is invalid. <reason>` and exit code 2).
import { InvalidArgumentError } from 'commander';
import { DELIVERY_OUTCOMES, type DeliveryOutcome } from '../lib/contracts/delivery-ref';
import { replayJobFrom } from '../lib/replay-job-client';
import { REPOSITORY_NAME } from '../lib/sync-client';
import type { HookPlace } from '../lib/github-hooks';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `90m`, `3d`, `2w` (that long before `now`), or an ISO 8601 time. */
export function parseTime(value: string, now: () => number = Date.now): Date {
  const relative = /^(\d{1,6})([smhdw])$/.exec(value);
  if (relative) return new Date(now() - Number(relative[1]) * UNITS[relative[2]]);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = new Date(value);
    if (!Number.isNaN(t.getTime())) return t;
  }
  throw new InvalidArgumentError(
    'expected a duration back from now (30m, 24h, 3d, 2w) or an ISO time (2026-12-01T09:00:00Z).',
  );
}

export function parseLimit(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value))
    throw new InvalidArgumentError('expected a whole number from 1 to 999999.');
  return Number(value);
}

export function parseStatus(value: string): DeliveryOutcome {
  if ((DELIVERY_OUTCOMES as readonly string[]).includes(value)) return value as DeliveryOutcome;
  throw new InvalidArgumentError(`expected one of: ${DELIVERY_OUTCOMES.join(', ')}.`);
}

export function parseInstallation(value: string): string {
  if (!/^[1-9]\d{0,19}$/.test(value)) throw new InvalidArgumentError('expected a numeric installation ID.');
  return value;
}

export function parseRepository(value: string): string {
  if (!REPOSITORY_NAME.test(value))
    throw new InvalidArgumentError(`not a repository name: ${value} (expected <owner>/<repo>)`);
  return value;
}

/** A delivery GUID or a workflow ID (`github:<hook>:<GUID>`). */
export function parseDeliveryId(value: string): string {
  if (!/^[\w.:-]{1,200}$/.test(value))
    throw new InvalidArgumentError(
      'expected a delivery ID (GUID) or a workflow ID (github:<hook id>:<GUID>).',
    );
  return value;
}

/** Event and action names as GitHub spells them: lower case, digits and underscores. */
export function parseName(value: string): string {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(value))
    throw new InvalidArgumentError('expected a name such as issues or pull_request (lower case, digits, _).');
  return value;
}

/** A rate in starts per second: 0.1 (one every 10 s) to 100. */
export function parseRps(value: string): number {
  const n = /^\d{1,3}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0.1 && n <= 100)) throw new InvalidArgumentError('expected a rate from 0.1 to 100 per second.');
  return n;
}

/** A length of time: `30s`, `10m`, `2h`, `1d`, in milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value);
  if (!m || Number(m[1]) === 0)
    throw new InvalidArgumentError('expected a duration such as 30s, 10m, 2h or 1d.');
  return Number(m[1]) * UNITS[m[2]];
}

/** A replay job's ID, or its workflow ID (`replay:<job>`). */
export function parseReplayJob(value: string): string {
  const job = replayJobFrom(value);
  if (job === undefined)
    throw new InvalidArgumentError(
      'expected a replay job ID such as 20261201-174212-3fa9c1 (or replay:<job>).',
    );
  return job;
}

/** Where a pass starts (`reconcile --since`): the forms of parseTime, and not in the future. */
export function parsePastTime(value: string, now: () => number = Date.now): Date {
  const t = parseTime(value, now);
  if (t.getTime() > now()) throw new InvalidArgumentError('expected a time in the past.');
  return t;
}

/** `owner/repo` or `org:<login>`. */
export function parseTarget(value: string): HookPlace {
  const org = /^org:([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$/.exec(value);
  if (org) return { scope: 'organization', name: org[1] };
  if (value.startsWith('org:'))
    throw new InvalidArgumentError(`not an organization login: ${value.slice(4)} (expected org:<login>)`);
  try {
    return { scope: 'repository', name: parseRepository(value) };
  } catch {
    throw new InvalidArgumentError(`expected <owner>/<repo> or org:<login>, got ${value}`);
  }
}

/** A comma-separated list of event names (`issues,pull_request`), or `*` for every event. */
export function parseEvents(value: string): string[] {
  const events = value.split(',').map((e) => e.trim());
  if (events.length === 0 || events.some((e) => !/^(\*|[a-z][a-z_]{0,63})$/.test(e)))
    throw new InvalidArgumentError('expected event names separated by commas (issues,pull_request) or *');
  return [...new Set(events)];
}

export function parseHookId(value: string): string {
  if (!/^[1-9]\d{0,19}$/.test(value)) throw new InvalidArgumentError('expected a numeric GitHub hook ID.');
  return value;
}

/** An absolute http(s) URL with no credentials in it. */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      'expected an absolute URL such as https://hooks.example.com/api/github/webhooks',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError('expected an http or https URL');
  if (url.username || url.password)
    throw new InvalidArgumentError('a URL with a user name or password in it would show them in GitHub');
  return url.toString();
}
