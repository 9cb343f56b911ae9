// A GitHub client against the fake provider, over a store of its own: what the client tests and the
// sync tests share. Two fixtures over one schema stand for two worker processes.
import { generateKeyPairSync } from 'node:crypto';
import { createLogger, type Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/telemetry/metrics';
import { createSealer } from '../../lib/crypto';
import { openStore, type Store } from '../../lib/storage';
import { createLocks, type WithLock } from '../../lib/storage/locks';
import { createGitHubClient, type ClientPolicy, type GitHubClient } from '../../activities/github/client';
import type { RepoShape } from '../fake-github/data';
import { startFakeGitHub, type FakeGitHub, type FakeOptions } from '../fake-github/server';
import { githubDelivery, type Delivery } from './deliveries';
import { freshSchemaUrl } from './harness';

const APP_ID = 4242;
let keys: { privateKey: string; publicKey: string } | undefined;
export function appKeys() {
  keys ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return keys;
}
export const SEAL_KEY = Buffer.alloc(32, 7);

const FAST_POLICY: ClientPolicy = {
  timeoutMs: 2_000,
  inlineWaitMs: 2_000,
  secondaryWaitMs: 200,
  tokenRefreshMarginMs: 60_000,
  mutationSpacingMs: 1_000,
  contentPerMinute: 80,
  contentPerHour: 500,
  reservePercent: 0,
};

export async function startFake(o: FakeOptions = {}): Promise<FakeGitHub> {
  return startFakeGitHub({ appId: APP_ID, appPublicKey: appKeys().publicKey, ...o });
}

export interface ClientFixture {
  client: GitHubClient;
  store: Store;
  close(): Promise<void>;
}

/** A client (one "worker") on `databaseUrl`, or on a fresh schema. */
export async function clientFor(
  fake: FakeGitHub,
  o: {
    databaseUrl?: string;
    storage?: 'postgres' | 'embedded';
    policy?: Partial<ClientPolicy>;
    token?: string;
    now?: () => number;
    logger?: Logger;
    metrics?: Metrics;
    /** Wraps the client's locks, to watch which it takes. */
    wrapLocks?: (withLock: WithLock) => WithLock;
    /** The client's sleep (pacing waits, backoff), to hold a wait open. */
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  } = {},
): Promise<ClientFixture & { databaseUrl: string | undefined }> {
  const databaseUrl = o.storage === 'embedded' ? undefined : (o.databaseUrl ?? (await freshSchemaUrl()));
  const store = await openStore({ databaseUrl, dataDir: undefined, ledgerRetentionDays: 14 });
  const client = createGitHubClient({
    baseUrl: fake.url,
    auth: o.token
      ? { kind: 'token', token: o.token }
      : { kind: 'app', appId: APP_ID, privateKey: appKeys().privateKey },
    db: store.db,
    withLock: (o.wrapLocks ?? ((l) => l))(createLocks(store.db)),
    sealer: createSealer([SEAL_KEY]),
    policy: { ...FAST_POLICY, ...o.policy },
    logger: o.logger ?? createLogger('silent'),
    metrics: o.metrics,
    ...(o.now ? { now: o.now } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
  });
  return { client, store, databaseUrl, close: () => store.db.close() };
}

/** Configuration for a hookflow (harness or worker process) that calls the fake in App mode, with test-sized durations. */
export function apiEnv(fake: FakeGitHub, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ID: String(APP_ID),
    PRIVATE_KEY: appKeys().privateKey,
    GITHUB_API_URL: fake.url,
    HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64'),
    HOOKFLOW_API_TIMEOUT_MS: '2000',
    HOOKFLOW_API_BACKOFF_MS: '20',
    HOOKFLOW_SECONDARY_WAIT_MS: '200',
    HOOKFLOW_INLINE_WAIT_MS: '2000',
    HOOKFLOW_RESYNC_INTERVAL_MINUTES: '0',
    // Tests that run passes run them on demand; test/reconcile.test.ts checks the schedule itself.
    HOOKFLOW_RECONCILE_INTERVAL_MINUTES: '0',
    ...extra,
  };
}

/** An `issues.opened` delivery for one of the fake's issues, as GitHub would send it (no installation: a repository hook). */
export function issueOpened(
  fake: FakeGitHub,
  repository: string,
  number: number,
  installation?: number,
): Delivery {
  return githubDelivery({
    event: 'issues',
    payload: {
      action: 'opened',
      issue: fake.issueJson(repository, number),
      repository: { full_name: repository },
      ...(installation !== undefined ? { installation: { id: installation } } : {}),
    },
  });
}

/**
 * A repository on the fake, in an installation hookflow knows, as an `installation` webhook would
 * have registered it.
 */
export async function installRepo(
  h: { store: Store },
  fake: FakeGitHub,
  fullName: string,
  shape: RepoShape,
): Promise<void> {
  fake.addRepo(fullName, shape);
  await h.store.registerInstallation(
    {
      provider: 'github',
      installationId: shape.installation,
      source: 'github',
      account: fullName.split('/')[0],
    },
    [{ id: shape.id, fullName }],
  );
}
