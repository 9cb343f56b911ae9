// The installations registry: which installations hookflow serves, the source (hook) that speaks for
// each, and the repositories each covers, as `installation` and `installation_repositories` webhooks
// report them. Uninstalling deletes what was stored for the installation.
import type { Db, Queryable } from './db';
import { storableText, storableTextOrNull } from './storable-text';

type InstallationStatus = 'active' | 'unverified' | 'removed' | 'unknown';

export interface Installation {
  provider: string;
  installationId: string;
  source: string;
  account: string | null;
  status: InstallationStatus;
}

export interface InstalledRepository {
  id: number;
  fullName: string;
}

export async function getInstallation(
  q: Queryable,
  provider: string,
  installationId: string,
): Promise<Installation | undefined> {
  const { rows } = await q.query<{
    provider: string;
    installation_id: string;
    source: string;
    account: string | null;
    status: InstallationStatus;
  }>('SELECT * FROM installations WHERE provider = $1 AND installation_id = $2', [provider, installationId]);
  const r = rows[0];
  return r
    ? {
        provider: r.provider,
        installationId: r.installation_id,
        source: r.source,
        account: r.account,
        status: r.status,
      }
    : undefined;
}

/**
 * Registers (or re-activates) an installation for the source that spoke for it. Returns false,
 * changing nothing, when the installation belongs to another source: ownership never moves.
 */
export async function registerInstallation(
  db: Db,
  i: Omit<Installation, 'status'>,
  repositories: InstalledRepository[],
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query(
      `INSERT INTO installations (provider, installation_id, source, account, status) VALUES ($1, $2, $3, $4, 'active')
       ON CONFLICT (provider, installation_id) DO UPDATE
         SET account = excluded.account, updated_at = now(),
             -- Unknown to GitHub's API: the next pass checks it again before it counts as active.
             status = CASE WHEN installations.status = 'unknown' THEN 'unverified' ELSE 'active' END
         WHERE installations.source = excluded.source
       RETURNING 1`,
      [i.provider, i.installationId, i.source, storableTextOrNull(i.account)],
    );
    if (rows.length === 0) return false;
    await addRepositories(tx, i.provider, i.installationId, repositories);
    return true;
  });
}

export async function updateRepositories(
  db: Db,
  provider: string,
  installationId: string,
  added: InstalledRepository[],
  removedIds: number[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await addRepositories(tx, provider, installationId, added);
    if (removedIds.length > 0) {
      await tx.query(
        `DELETE FROM installation_repositories
         WHERE provider = $1 AND installation_id = $2 AND repository_id = ANY($3::bigint[])`,
        [provider, installationId, removedIds],
      );
    }
  });
}

export async function listRepositories(
  q: Queryable,
  provider: string,
  installationId: string,
): Promise<string[]> {
  const { rows } = await q.query<{ full_name: string }>(
    `SELECT full_name FROM installation_repositories WHERE provider = $1 AND installation_id = $2 ORDER BY full_name`,
    [provider, installationId],
  );
  return rows.map((r) => r.full_name);
}

/**
 * Uninstall: only the data the integration needs is kept, so everything stored for the installation
 * goes: its repositories, their synced data, its token, rate-limit budget and API cache, and the
 * payloads of its finished deliveries (ledger rows keep their metadata as an audit trail until
 * retention ends). The installation itself stays as a `removed` tombstone, so later deliveries for it
 * are refused. Returns the repositories it synced, whose jobs and schedules the caller stops.
 */
export async function removeInstallation(
  db: Db,
  provider: string,
  installationId: string,
  exceptKey: string,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string }>(
      `SELECT full_name AS name FROM sync_repositories WHERE provider = $1 AND installation_id = $2
       UNION SELECT lower(full_name) FROM installation_repositories WHERE provider = $1 AND installation_id = $2`,
      [provider, installationId],
    );
    const repos = rows.map((r) => r.name);
    for (const table of ['repo_issues', 'repo_pull_requests', 'repo_issue_comments']) {
      await tx.query(`DELETE FROM ${table} WHERE provider = $1 AND repository = ANY($2::text[])`, [
        provider,
        repos,
      ]);
    }
    for (const table of ['sync_repositories', 'api_tokens', 'api_budgets', 'api_cache']) {
      await tx.query(`DELETE FROM ${table} WHERE provider = $1 AND installation_id = $2`, [
        provider,
        installationId,
      ]);
    }
    await tx.query('DELETE FROM installation_repositories WHERE provider = $1 AND installation_id = $2', [
      provider,
      installationId,
    ]);
    await tx.query(
      `UPDATE installations SET status = 'removed', updated_at = now() WHERE provider = $1 AND installation_id = $2`,
      [provider, installationId],
    );
    // Deliveries still in flight keep theirs until they finish: their workflows read them.
    await tx.query(
      `UPDATE deliveries SET raw_body = NULL
       WHERE provider = $1 AND installation = $2 AND delivery_key <> $3
         AND outcome IN ('completed', 'failed', 'ignored')`,
      [provider, installationId, exceptKey],
    );
    return repos;
  });
}

async function addRepositories(
  tx: Queryable,
  provider: string,
  installationId: string,
  repositories: InstalledRepository[],
): Promise<void> {
  for (const repo of repositories) {
    await tx.query(
      `INSERT INTO installation_repositories (provider, installation_id, repository_id, full_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, installation_id, repository_id) DO UPDATE SET full_name = excluded.full_name`,
      [provider, installationId, repo.id, storableText(repo.fullName)],
    );
  }
}

/**
 * Installations to check against the API, least recently looked at first: those first seen in a
 * delivery, and those found unknown a day or more ago (a verdict reached through a misconfiguration
 * mends itself).
 */
export async function listUnverified(q: Queryable, provider: string, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ installation_id: string }>(
    `SELECT installation_id FROM installations
     WHERE provider = $1 AND (status = 'unverified' OR (status = 'unknown' AND updated_at < now() - interval '1 day'))
     ORDER BY updated_at LIMIT $2`,
    [provider, limit],
  );
  return rows.map((r) => r.installation_id);
}

/**
 * What the API said of an unverified installation: `active` (GitHub knows it), or `unknown` (its
 * deliveries are refused from now on, and those accepted before are marked). Changes nothing if it
 * is neither unverified nor unknown (an `installation` event got there first).
 */
export async function settleUnverified(
  db: Db,
  provider: string,
  installationId: string,
  verdict: 'active' | 'unknown',
): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query(
      `UPDATE installations SET status = $3, updated_at = now()
       WHERE provider = $1 AND installation_id = $2 AND status IN ('unverified', 'unknown')
       RETURNING installation_id`,
      [provider, installationId, verdict],
    );
    if (verdict === 'unknown' && rows.length > 0) {
      await tx.query(
        'UPDATE deliveries SET installation_unknown = true WHERE provider = $1 AND installation = $2',
        [provider, installationId],
      );
    }
  });
}

/** Looked at without a verdict (the API failed for it): it goes to the back of the queue. */
export async function touchInstallation(
  q: Queryable,
  provider: string,
  installationId: string,
): Promise<void> {
  await q.query('UPDATE installations SET updated_at = now() WHERE provider = $1 AND installation_id = $2', [
    provider,
    installationId,
  ]);
}
