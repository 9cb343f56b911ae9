// The hooks hookflow manages through the provider's API: created by `hookflow hooks create` or
// adopted by `hooks import`, and the PubSubHubbub subscriptions of `hookflow hub subscribe` (kind
// `hub`, ID `hub:<id>`). Their secrets are stored sealed (one sealed JSON list per hook); this
// module holds the SQL and never sees a secret in the clear.
import type { Queryable } from './db';

type HookScope = 'repository' | 'organization';
export type ManagedKind = 'hook' | 'hub';

export interface ManagedHookRow {
  provider: string;
  hookId: string;
  /** A hook, or a PubSubHubbub subscription (`hub:<id>`, always on a repository). */
  kind: ManagedKind;
  scope: HookScope;
  /** `owner/repo` for a repository hook, the organization's login for an organization hook. */
  target: string;
  events: string[];
  url: string;
  /** A subscription's `hub.topic`, as it was subscribed (null for a hook). */
  topic: string | null;
  /** The sealed secrets (lib/hook-secrets.ts opens them). */
  sealedSecrets: string;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  provider: string;
  hook_id: string;
  kind: ManagedKind;
  scope: HookScope;
  target: string;
  events: string[] | string;
  url: string;
  topic: string | null;
  secrets: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const fromRow = (r: Row): ManagedHookRow => ({
  provider: r.provider,
  hookId: r.hook_id,
  kind: r.kind,
  scope: r.scope,
  target: r.target,
  events: typeof r.events === 'string' ? (JSON.parse(r.events) as string[]) : r.events,
  url: r.url,
  topic: r.topic,
  sealedSecrets: r.secrets,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** Records a hook (or replaces what was recorded for it). */
export async function putManagedHook(
  q: Queryable,
  h: Omit<ManagedHookRow, 'createdAt' | 'updatedAt' | 'kind' | 'topic'> &
    Partial<Pick<ManagedHookRow, 'topic'>>,
): Promise<void> {
  await q.query(
    `INSERT INTO managed_hooks (provider, hook_id, kind, scope, target, events, url, topic, secrets)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (provider, hook_id) DO UPDATE
       SET scope = excluded.scope, target = excluded.target,
           events = excluded.events, url = excluded.url, topic = excluded.topic,
           secrets = excluded.secrets, updated_at = now()`,
    [
      h.provider,
      h.hookId,
      // The kind follows from the ID (a constraint holds them together): a subscription's is `hub:…`.
      h.hookId.startsWith('hub:') ? 'hub' : 'hook',
      h.scope,
      h.target,
      JSON.stringify(h.events),
      h.url,
      h.topic ?? null,
      h.sealedSecrets,
    ],
  );
}

export async function getManagedHook(
  q: Queryable,
  provider: string,
  hookId: string,
  /** Lock the row for the rest of the transaction (`q` must be one). */
  forUpdate = false,
): Promise<ManagedHookRow | undefined> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM managed_hooks WHERE provider = $1 AND hook_id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [provider, hookId],
  );
  return rows[0] && fromRow(rows[0]);
}

/** The hooks (or the PubSubHubbub subscriptions) hookflow manages, oldest first. */
export async function listManagedHooks(
  q: Queryable,
  provider: string,
  kind: ManagedKind = 'hook',
): Promise<ManagedHookRow[]> {
  const { rows } = await q.query<Row>(
    'SELECT * FROM managed_hooks WHERE provider = $1 AND kind = $2 ORDER BY created_at, hook_id',
    [provider, kind],
  );
  return rows.map(fromRow);
}

/** Changes where a hook sends and what, leaving its secrets as they are. */
export async function updateManagedHook(
  q: Queryable,
  provider: string,
  hookId: string,
  change: { events?: string[]; url?: string },
): Promise<void> {
  await q.query(
    `UPDATE managed_hooks SET events = COALESCE($3, events), url = COALESCE($4, url), updated_at = now()
     WHERE provider = $1 AND hook_id = $2`,
    [provider, hookId, change.events ? JSON.stringify(change.events) : null, change.url ?? null],
  );
}

/** Whether there was such a hook. */
export async function deleteManagedHook(q: Queryable, provider: string, hookId: string): Promise<boolean> {
  const { rows } = await q.query(
    'DELETE FROM managed_hooks WHERE provider = $1 AND hook_id = $2 RETURNING hook_id',
    [provider, hookId],
  );
  return rows.length > 0;
}
