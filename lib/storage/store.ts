// hookflow's own tables: the delivery ledger (which outlives Temporal's retention), the outbox
// used while Temporal is unreachable, and the installations registry. SQL lives here only.
import type { DeliveryOutcome, DeliveryRef } from '../delivery';
import type { Db, Queryable } from './db';

export interface LedgerInsert {
  ref: DeliveryRef;
  contentType: string;
  rawBody: Buffer | null;
  /** The workflow to start; null when the delivery is ignored (then no body is kept). */
  workflowType: string | null;
  reason?: string | undefined;
  /** Also record the delivery's installation as `unverified` if it is not known yet (same statement). */
  noteInstallation?: boolean;
}

export interface OutboxItem {
  ref: DeliveryRef;
  workflowType: string;
  /** A redelivery of a failed delivery: its failed run may run again. */
  rerunFailed: boolean;
  attempts: number;
  /** The W3C trace context (`traceparent`, `tracestate`) of the request that parked it. */
  traceContext: Record<string, string> | undefined;
}

export type InstallationStatus = 'active' | 'unverified' | 'removed';

export interface Installation {
  provider: string;
  installationId: string;
  source: string;
  account: string | null;
  status: InstallationStatus;
}

interface DeliveryRow {
  delivery_key: string;
  provider: string;
  source: string;
  hook_id: string;
  delivery_id: string;
  event: string;
  action: string | null;
  installation: string | null;
  repository: string | null;
}

const toRef = (r: DeliveryRow): DeliveryRef => ({
  key: r.delivery_key,
  provider: r.provider,
  source: r.source,
  hookId: r.hook_id,
  deliveryId: r.delivery_id,
  event: r.event,
  action: r.action,
  installation: r.installation,
  repository: r.repository,
});

export type Store = ReturnType<typeof createStore>;

export function createStore(db: Db, options: { retentionDays: number }) {
  const retention = `${options.retentionDays} days`;

  return {
    db,

    async ping(): Promise<void> {
      await db.query('SELECT 1');
    },

    /**
     * Records a delivery (or counts a repeat of one). Returns whether the row is new and the
     * outcome the ledger held, so a repeat of a completed delivery is known without Temporal.
     */
    async recordDelivery(d: LedgerInsert): Promise<{ inserted: boolean; outcome: DeliveryOutcome }> {
      const { ref } = d;
      const { rows } = await db.query<{ inserted: boolean; outcome: DeliveryOutcome }>(
        `WITH installation AS (
           INSERT INTO installations (provider, installation_id, source, status)
           SELECT $2, $7, $14, 'unverified' WHERE $15::boolean AND $7::text IS NOT NULL
           ON CONFLICT DO NOTHING)
         INSERT INTO deliveries (delivery_key, provider, hook_id, delivery_id, event, action, installation,
           repository, content_type, raw_body, workflow_type, outcome, reason, finished_at, expires_at, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $11::text IS NULL THEN NULL ELSE $10::bytea END, $11,
           CASE WHEN $11::text IS NULL THEN 'ignored' ELSE 'received' END, $12,
           CASE WHEN $11::text IS NULL THEN now() END, now() + $13::interval, $14)
         ON CONFLICT (delivery_key) DO UPDATE
           SET receive_count = deliveries.receive_count + 1, last_received_at = now()
         RETURNING (xmax = 0) AS inserted, outcome`,
        [
          ref.key,
          ref.provider,
          ref.hookId,
          ref.deliveryId,
          ref.event,
          ref.action,
          ref.installation,
          ref.repository,
          d.contentType,
          d.rawBody,
          d.workflowType,
          d.reason ?? null,
          retention,
          ref.source,
          d.noteInstallation ?? false,
        ],
      );
      return rows[0];
    },

    /** Deliveries whose workflows started, in one statement (the front door batches them). */
    async markAccepted(
      items: { key: string; workflowId: string; runId: string | null }[],
      tx: Queryable = db,
    ): Promise<void> {
      if (items.length === 0) return;
      await tx.query(
        `UPDATE deliveries d SET outcome = 'accepted', workflow_id = a.workflow_id, run_id = coalesce(a.run_id, d.run_id), reason = NULL
         FROM unnest($1::text[], $2::text[], $3::text[]) AS a(delivery_key, workflow_id, run_id)
         WHERE d.delivery_key = a.delivery_key
           AND (d.outcome IN ('received', 'queued')
                -- a failed delivery redelivered: a new run, not the one that failed (whose
                -- failure may be recorded before this batched mark arrives)
                OR (d.outcome = 'failed' AND a.run_id IS NOT NULL AND d.run_id IS DISTINCT FROM a.run_id))`,
        [items.map((i) => i.key), items.map((i) => i.workflowId), items.map((i) => i.runId)],
      );
    },

    /** Parks a delivery whose workflow could not be started; the relay starts it later. */
    async enqueue(
      key: string,
      error: string,
      rerunFailed = false,
      traceContext?: Record<string, string>,
    ): Promise<void> {
      const trace =
        traceContext && Object.keys(traceContext).length > 0 ? JSON.stringify(traceContext) : null;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO outbox (delivery_key, last_error, rerun_failed, trace_context) VALUES ($1, $2, $3, $4)
           ON CONFLICT (delivery_key) DO UPDATE
             SET last_error = excluded.last_error, rerun_failed = outbox.rerun_failed OR excluded.rerun_failed,
                 trace_context = coalesce(outbox.trace_context, excluded.trace_context)`,
          [key, error, rerunFailed, trace],
        );
        await tx.query(
          // A failed delivery stays `failed` until a new run of it actually starts.
          `UPDATE deliveries SET outcome = 'queued' WHERE delivery_key = $1 AND outcome = 'received'`,
          [key],
        );
      });
    },

    /**
     * Leases up to `limit` due outbox items for `leaseMs`, so relays of several server replicas
     * never start the same item at once (and a crashed relay's lease simply runs out).
     */
    async leaseOutbox(limit: number, leaseMs: number): Promise<OutboxItem[]> {
      const { rows } = await db.query<
        DeliveryRow & {
          attempts: number;
          workflow_type: string;
          rerun_failed: boolean;
          trace_context: string | null;
        }
      >(
        `WITH due AS (
           SELECT delivery_key FROM outbox WHERE next_attempt_at <= now()
           ORDER BY enqueued_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM due, deliveries d
         WHERE o.delivery_key = due.delivery_key AND d.delivery_key = o.delivery_key
         RETURNING d.*, o.attempts, o.rerun_failed, o.trace_context`,
        [limit, leaseMs],
      );
      return rows.map((r) => ({
        ref: toRef(r),
        workflowType: r.workflow_type,
        rerunFailed: r.rerun_failed,
        attempts: r.attempts,
        traceContext: r.trace_context ? (JSON.parse(r.trace_context) as Record<string, string>) : undefined,
      }));
    },

    /**
     * A row still `received` long after it arrived lost its workflow start to a crash between the
     * two writes: park it in the outbox too (the relay's start is a no-op if it did start).
     */
    async enqueueStranded(olderThanMs: number): Promise<number> {
      const { rows } = await db.query<{ n: string }>(
        `WITH stranded AS (
           UPDATE deliveries SET outcome = 'queued'
           WHERE outcome = 'received' AND received_at < now() - $1 * interval '1 millisecond'
           RETURNING delivery_key),
         parked AS (
           INSERT INTO outbox (delivery_key, last_error) SELECT delivery_key, 'stranded before its start' FROM stranded
           ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*) AS n FROM parked`,
        [olderThanMs],
      );
      return Number(rows[0].n);
    },

    async outboxDone(key: string, workflowId: string, runId: string | null): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.query('DELETE FROM outbox WHERE delivery_key = $1', [key]);
        await this.markAccepted([{ key, workflowId, runId }], tx);
      });
    },

    async outboxRetryLater(key: string, error: string, delayMs: number): Promise<void> {
      await db.query(
        `UPDATE outbox SET last_error = $2, next_attempt_at = now() + $3 * interval '1 millisecond'
         WHERE delivery_key = $1`,
        [key, error, delayMs],
      );
    },

    async outboxDepth(): Promise<number> {
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
      return Number(rows[0].n);
    },

    /**
     * The workflow's own record of how it ended. A delivery of an installation removed meanwhile
     * gives up its payload now (uninstall kept it only while the workflow needed it).
     */
    async finishDelivery(
      key: string,
      outcome: 'completed' | 'failed',
      reason: string | null,
      runId: string | null = null,
    ): Promise<void> {
      await db.query(
        `UPDATE deliveries d SET outcome = $2, reason = $3, finished_at = now(), run_id = coalesce($4, d.run_id),
           raw_body = CASE WHEN EXISTS (
             SELECT 1 FROM installations i
             WHERE i.provider = d.provider AND i.installation_id = d.installation AND i.status = 'removed')
           THEN NULL ELSE d.raw_body END
         WHERE delivery_key = $1`,
        [key, outcome, reason, runId],
      );
    },

    async getDelivery(key: string) {
      const { rows } = await db.query<
        DeliveryRow & {
          outcome: DeliveryOutcome;
          reason: string | null;
          workflow_id: string | null;
          run_id: string | null;
          content_type: string;
          raw_body: Uint8Array | null;
          receive_count: number;
        }
      >('SELECT * FROM deliveries WHERE delivery_key = $1', [key]);
      const r = rows[0];
      if (!r) return undefined;
      return {
        ref: toRef(r),
        outcome: r.outcome,
        reason: r.reason,
        workflowId: r.workflow_id,
        runId: r.run_id,
        contentType: r.content_type,
        rawBody: r.raw_body === null ? null : Buffer.from(r.raw_body),
        receiveCount: r.receive_count,
      };
    },

    /** Deletes ledger rows past their retention; returns how many went. */
    async purgeExpired(): Promise<number> {
      const { rows } = await db.query<{ n: string }>(
        `WITH gone AS (DELETE FROM deliveries WHERE expires_at < now() RETURNING 1) SELECT count(*) AS n FROM gone`,
      );
      return Number(rows[0].n);
    },

    async getInstallation(provider: string, installationId: string): Promise<Installation | undefined> {
      const { rows } = await db.query<{
        provider: string;
        installation_id: string;
        source: string;
        account: string | null;
        status: InstallationStatus;
      }>('SELECT * FROM installations WHERE provider = $1 AND installation_id = $2', [
        provider,
        installationId,
      ]);
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
    },

    /**
     * Registers (or re-activates) an installation for the source that spoke for it. Returns false,
     * changing nothing, when the installation belongs to another source: ownership never moves.
     */
    async registerInstallation(
      i: Omit<Installation, 'status'>,
      repositories: { id: number; fullName: string }[],
    ): Promise<boolean> {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query(
          `INSERT INTO installations (provider, installation_id, source, account, status) VALUES ($1, $2, $3, $4, 'active')
           ON CONFLICT (provider, installation_id) DO UPDATE
             SET account = excluded.account, status = 'active', updated_at = now()
             WHERE installations.source = excluded.source
           RETURNING 1`,
          [i.provider, i.installationId, i.source, i.account],
        );
        if (rows.length === 0) return false;
        await addRepositories(tx, i.provider, i.installationId, repositories);
        return true;
      });
    },

    async updateRepositories(
      provider: string,
      installationId: string,
      added: { id: number; fullName: string }[],
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
    },

    async listRepositories(provider: string, installationId: string): Promise<string[]> {
      const { rows } = await db.query<{ full_name: string }>(
        `SELECT full_name FROM installation_repositories WHERE provider = $1 AND installation_id = $2 ORDER BY full_name`,
        [provider, installationId],
      );
      return rows.map((r) => r.full_name);
    },

    /**
     * Uninstall (J4): the installation is kept as a tombstone so later deliveries for it are
     * refused, and everything stored for it goes: its repositories and the payloads of its finished
     * deliveries (ledger rows keep their metadata as an audit trail until retention ends).
     */
    /**
     * Uninstall (J4): the installation's repositories, its synced data, its token, budget and API
     * cache go; returns the repositories it synced, whose jobs and schedules the caller stops.
     */
    async removeInstallation(provider: string, installationId: string, exceptKey: string): Promise<string[]> {
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
    },
  };
}

async function addRepositories(
  tx: Queryable,
  provider: string,
  installationId: string,
  repositories: { id: number; fullName: string }[],
): Promise<void> {
  for (const repo of repositories) {
    await tx.query(
      `INSERT INTO installation_repositories (provider, installation_id, repository_id, full_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, installation_id, repository_id) DO UPDATE SET full_name = excluded.full_name`,
      [provider, installationId, repo.id, repo.fullName],
    );
  }
}
