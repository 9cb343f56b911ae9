// What the activities are built over. They are made by factories over injected dependencies
// (samples-typescript activities-dependency-injection), so tests hand them a real store and a client
// of their own.
import type { Client } from '@temporalio/client';
import type { LoadedApp } from '../app/load-app';
import type { ApiConfig, AppConfig } from '../lib/config';
import type { Sealer } from '../lib/crypto';
import type { ReconcileSource } from '../lib/contracts/reconcile';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/telemetry/metrics';
import type { Store } from '../lib/storage';
import type { GitHubClient } from './github/client';

export interface ActivityDeps {
  store: Store;
  logger: Logger;
  /** Undefined when hookflow has no GitHub credentials: the activities that call GitHub then fail, saying so. */
  github: GitHubClient | undefined;
  api: ApiConfig;
  githubApiUrl: string;
  metrics?:
    | Pick<
        Metrics,
        | 'recordSyncItems'
        | 'recordReplay'
        | 'recordReconcileMissed'
        | 'recordReconcileRedelivered'
        | 'recordReconcileUnrecoverable'
        | 'recordSecretRotation'
      >
    | undefined;
  /** The hooks whose delivery logs the reconciliation lists (activities/reconcile/sources.ts). */
  reconcileSources?: ReconcileSource[] | undefined;
  /** The user's app, whose handlers the worker runs; absent: none. */
  app?: LoadedApp | undefined;
  /** How long a handler may run; the defaults when absent. */
  appConfig?: AppConfig | undefined;
  /**
   * Managing hooks (secret rotations): hookflow's client in token mode (GITHUB_TOKEN; undefined
   * without one) and the sealer of hook secrets, made when first needed.
   */
  hookAdmin?: { github: GitHubClient | undefined; sealer: () => Sealer } | undefined;
  /** For the reconciliation schedule and its starts; absent in tests that do not need them. */
  temporal?: { client: Client; taskQueue: string; searchRepository?: boolean | undefined } | undefined;
}
