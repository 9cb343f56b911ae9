// The worker's GitHub client, from configuration: App mode (APP_ID + PRIVATE_KEY), token mode
// (GITHUB_TOKEN), or none (the delivery workflows that need no API still run).
import type { Config } from '../../lib/config';
import { createSealer, encryptionKeys } from '../../lib/crypto';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/telemetry/metrics';
import type { Store } from '../../lib/storage';
import { createLocks } from '../../lib/storage/locks';
import { createGitHubClient, type Auth, type ClientPolicy, type GitHubClient } from './client';

export function githubClientFrom(
  config: Pick<Config, 'appId' | 'privateKey' | 'api' | 'githubApiUrl' | 'dataDir'>,
  store: Store,
  logger: Logger,
  metrics?: Metrics,
): GitHubClient | undefined {
  let auth: Auth;
  if (config.appId !== undefined && config.privateKey !== undefined) {
    auth = { kind: 'app', appId: config.appId, privateKey: config.privateKey };
  } else if (config.api.token !== undefined) {
    auth = { kind: 'token', token: config.api.token };
  } else {
    return undefined;
  }
  const a = config.api;
  return createGitHubClient({
    baseUrl: config.githubApiUrl,
    auth,
    db: store.db,
    withLock: createLocks(store.db),
    sealer: createSealer(encryptionKeys(a.encryptionKeys, config.dataDir)),
    policy: clientPolicy(a),
    logger: logger.child({ component: 'github' }),
    metrics,
  });
}

/** The client's pacing and timeouts, from configuration. */
function clientPolicy(a: Config['api']): ClientPolicy {
  return {
    timeoutMs: a.timeoutMs,
    inlineWaitMs: a.inlineWaitMs,
    secondaryWaitMs: a.secondaryWaitMs,
    tokenRefreshMarginMs: a.tokenRefreshMarginMs,
    mutationSpacingMs: a.mutationSpacingMs,
    contentPerMinute: a.contentPerMinute,
    contentPerHour: a.contentPerHour,
    reservePercent: a.reservePercent,
  };
}

/**
 * A client that keeps no installation tokens, so it needs no encryption key: for public endpoints
 * (`auth` none: `GET /meta`) or the App's own endpoints (`asApp` calls with its JWT).
 */
export function tokenlessClient(
  config: Pick<Config, 'api' | 'githubApiUrl'>,
  auth: Auth,
  store: Store,
  logger: Logger,
  metrics?: Metrics,
): GitHubClient {
  const noTokens = (): never => {
    throw new Error('this client keeps no installation tokens');
  };
  return createGitHubClient({
    baseUrl: config.githubApiUrl,
    auth,
    db: store.db,
    withLock: createLocks(store.db),
    sealer: { seal: noTokens, open: noTokens },
    policy: clientPolicy(config.api),
    logger: logger.child({ component: 'github' }),
    metrics,
  });
}
