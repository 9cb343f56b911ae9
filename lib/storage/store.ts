// hookflow's own tables behind one object that the server and the worker share: the delivery ledger
// (ledger.ts), the outbox used while Temporal is unreachable (outbox.ts) and the installations
// registry (installations.ts). Those modules hold the SQL; this one binds them to a database.
import type { BodyKeyring } from '../crypto';
import type { Db, Queryable } from './db';
import { findDeliveries, listDeliveries, type DeliveryFilter } from './delivery-listing';
import * as installations from './installations';
import * as ledger from './ledger';
import * as outbox from './outbox';
import * as replayJobs from './replay-jobs';
import type { ReplaySelection } from '../contracts/replay-job';

export type { LedgerInsert } from './ledger';
export type { DeliveryFilter } from './delivery-listing';
export type { Installation } from './installations';

export type Store = ReturnType<typeof createStore>;

export interface StoreOptions {
  retentionDays: number;
  /**
   * The keys raw bodies are sealed and opened with; `seal`: new bodies are sealed (encryption at
   * rest on). Without a keyring, bodies are kept as sent, and a sealed one cannot be read.
   */
  bodies?: { keyring: BodyKeyring | undefined; seal: boolean } | undefined;
}

export function createStore(db: Db, options: StoreOptions) {
  const retention = `${options.retentionDays} days`;
  const keyring = options.bodies?.keyring;
  const sealing = options.bodies?.seal === true ? keyring : undefined;
  /** A stored body as sent: opened when it is sealed (a missing key throws, naming it). */
  const opened = (key: string, body: Buffer | null, keyId: string | null): Buffer | null => {
    if (body === null || keyId === null) return body;
    if (!keyring)
      throw new Error(
        `delivery ${key}: its body is sealed with key ${keyId}, and HOOKFLOW_ENCRYPTION_KEY is not set (set it to the key the servers use)`,
      );
    return keyring.open(key, body, keyId);
  };

  return {
    db,

    async ping(): Promise<void> {
      await db.query('SELECT 1');
    },

    recordDelivery: (d: ledger.LedgerInsert) =>
      ledger.recordDelivery(
        db,
        sealing && d.rawBody
          ? { ...d, rawBody: sealing.seal(d.ref.key, d.rawBody), bodyKeyId: sealing.keyId }
          : d,
        retention,
      ),
    markReplayed: (key: string, runId: string) => ledger.markReplayed(db, key, runId),
    markAccepted: (items: { key: string; workflowId: string; runId: string | null }[], tx: Queryable = db) =>
      ledger.markAccepted(tx, items),
    finishDelivery: (
      key: string,
      outcome: 'completed' | 'failed',
      reason: string | null,
      runId: string | null = null,
    ) => ledger.finishDelivery(db, key, outcome, reason, runId),
    async getDelivery(key: string): Promise<ledger.LedgerEntry | undefined> {
      const entry = await ledger.getDelivery(db, key);
      return entry && { ...entry, rawBody: opened(key, entry.rawBody, entry.bodyKeyId) };
    },
    listDeliveries: (filter: DeliveryFilter) => listDeliveries(db, filter),
    findDeliveries: (id: string) => findDeliveries(db, id),
    purgeExpired: () => ledger.purgeExpired(db),

    previewReplay: (selection: ReplaySelection, max: number | null, sampleSize: number) =>
      replayJobs.previewSelection(db, selection, max, sampleSize),
    freezeReplaySelection: (job: string, selection: ReplaySelection, max: number | null) =>
      replayJobs.freezeSelection(db, job, selection, max),
    replayJobItem: (job: string, position: number) => replayJobs.getItem(db, job, position),
    recordReplayJobItem: (
      job: string,
      position: number,
      outcome: Parameters<typeof replayJobs.recordItem>[3],
    ) => replayJobs.recordItem(db, job, position, outcome),
    replayJobCounts: (job: string, maxRefusals: number) => replayJobs.jobCounts(db, job, maxRefusals),

    enqueue: (key: string, error: string, rerunFailed = false, traceContext?: Record<string, string>) =>
      outbox.enqueue(db, key, error, rerunFailed, traceContext),
    // The relay reads a parked body only for its run's summary: one it cannot open is left out
    // (the run's own read of it fails, naming the key).
    leaseOutbox: async (limit: number, leaseMs: number) =>
      (await outbox.leaseOutbox(db, limit, leaseMs)).map((item) => {
        try {
          return { ...item, rawBody: opened(item.ref.key, item.rawBody, item.bodyKeyId) };
        } catch {
          return { ...item, rawBody: null };
        }
      }),
    enqueueStranded: (olderThanMs: number) => outbox.enqueueStranded(db, olderThanMs),
    outboxDone: (key: string, workflowId: string, runId: string | null) =>
      outbox.outboxDone(db, key, workflowId, runId),
    outboxRetryLater: (key: string, error: string, delayMs: number) =>
      outbox.outboxRetryLater(db, key, error, delayMs),
    deadLetter: (key: string, error: string) => outbox.deadLetter(db, key, error),
    outboxDepth: () => outbox.outboxDepth(db),

    getInstallation: (provider: string, installationId: string) =>
      installations.getInstallation(db, provider, installationId),
    registerInstallation: (
      i: Omit<installations.Installation, 'status'>,
      repositories: installations.InstalledRepository[],
    ) => installations.registerInstallation(db, i, repositories),
    updateRepositories: (
      provider: string,
      installationId: string,
      added: installations.InstalledRepository[],
      removedIds: number[],
    ) => installations.updateRepositories(db, provider, installationId, added, removedIds),
    listRepositories: (provider: string, installationId: string) =>
      installations.listRepositories(db, provider, installationId),
    removeInstallation: (provider: string, installationId: string, exceptKey: string) =>
      installations.removeInstallation(db, provider, installationId, exceptKey),
  };
}
