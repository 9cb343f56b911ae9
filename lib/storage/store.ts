// hookflow's own tables behind one object that the server and the worker share: the delivery ledger
// (ledger.ts), the outbox used while Temporal is unreachable (outbox.ts) and the installations
// registry (installations.ts). Those modules hold the SQL; this one binds them to a database.
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

export function createStore(db: Db, options: { retentionDays: number }) {
  const retention = `${options.retentionDays} days`;

  return {
    db,

    async ping(): Promise<void> {
      await db.query('SELECT 1');
    },

    recordDelivery: (d: ledger.LedgerInsert) => ledger.recordDelivery(db, d, retention),
    markReplayed: (key: string, runId: string) => ledger.markReplayed(db, key, runId),
    markAccepted: (items: { key: string; workflowId: string; runId: string | null }[], tx: Queryable = db) =>
      ledger.markAccepted(tx, items),
    finishDelivery: (
      key: string,
      outcome: 'completed' | 'failed',
      reason: string | null,
      runId: string | null = null,
    ) => ledger.finishDelivery(db, key, outcome, reason, runId),
    getDelivery: (key: string) => ledger.getDelivery(db, key),
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
    leaseOutbox: (limit: number, leaseMs: number) => outbox.leaseOutbox(db, limit, leaseMs),
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
