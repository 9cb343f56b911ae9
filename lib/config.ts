// One file though over 300 lines: one schema's result turned into one typed Config, read in one
// place so every problem is reported together; splitting it would scatter that list.
// Configuration is read once, here, from an env-like record. Every problem is collected and
// reported together, so a bad deployment fails at start-up with the whole list, not one at a time.
// Names follow Probot where they overlap (WEBHOOK_SECRET, WEBHOOK_PATH, PORT, LOG_LEVEL, APP_ID,
// PRIVATE_KEY / PRIVATE_KEY_PATH) so Probot users feel at home. One file over 300 lines on purpose:
// the whole mapping from variables to settings is read in one place (the schema is env-schema.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSchema, type LogLevel, type LogFormat } from './env-schema';
import { sourcesFileSchema, type SourcesFile } from './sources-file';
import { telemetryConfig, type TelemetryConfig } from './telemetry/telemetry-config';

export type { LogFormat, OtlpProtocol } from './env-schema';
export type { TelemetryConfig } from './telemetry/telemetry-config';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Activity slots per worker. */
export const WORKER_ACTIVITY_SLOTS = 20;

/**
 * What is wrong with HOOKFLOW_DB_POOL_SIZE for a process that runs a worker, if anything: fewer
 * connections than activity slots leaves activities waiting for one past the pool's 2 s, and each
 * such wait fails as "storage unreachable".
 */
export function workerPoolProblem(size: number | undefined): string | undefined {
  if (size === undefined || size >= WORKER_ACTIVITY_SLOTS) return undefined;
  return `HOOKFLOW_DB_POOL_SIZE: ${size} is too few for a worker: it needs at least one PostgreSQL connection per activity slot (${WORKER_ACTIVITY_SLOTS}); set ${WORKER_ACTIVITY_SLOTS} or more for workers, or leave it unset (${WORKER_ACTIVITY_SLOTS + 10})`;
}

export interface Config {
  port: number;
  host: string;
  webhookPath: string;
  /** Secrets of the default GitHub source, newest first; several are valid at once during rotation. */
  webhookSecrets: string[];
  webhookAllowSha1: boolean;
  logLevel: LogLevel;
  /** Undefined: readable lines on a terminal, JSON lines otherwise (telemetry/log-output.ts). */
  logFormat: LogFormat | undefined;
  appId: number | undefined;
  privateKey: string | undefined;
  githubApiUrl: string;
  /** The address the provider reaches hookflow at (`https://hooks.example.com`): hooks it creates point there. */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  /** PostgreSQL connections per process at most; undefined: each process's own default (see openStore). */
  databasePoolSize: number | undefined;
  /** Serve HTTPS directly; undefined means plain HTTP (behind a TLS-terminating proxy). */
  tls: { cert: Buffer; key: Buffer; certPath: string; keyPath: string } | undefined;
  /** How often the certificate and key files are checked for a change (a renewal is served without a restart). */
  tlsReloadMs: number;
  /**
   * Source addresses the front door accepts deliveries from: `github-meta`, the `hooks` ranges of
   * GitHub's `GET /meta`, refreshed every `refreshMs`; `off` (the default): any.
   */
  ipAllowList: { mode: 'off' | 'github-meta'; refreshMs: number };
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); none by default. */
  trustedProxies: string[];
  /**
   * Encrypt what hookflow hands Temporal (workflow inputs, results, signals, queries, activity
   * arguments) with HOOKFLOW_ENCRYPTION_KEY before it reaches Temporal's histories.
   */
  historyEncryption: boolean;
  /** The repository name among a delivery's search attributes (readable in Temporal, by design). */
  searchRepository: boolean;
  /**
   * The admin listener (never the webhook port): the Temporal codec endpoint, served when history
   * encryption is on and a codec token is set. Port 0 turns it off.
   */
  admin: { port: number; host: string };
  codec: {
    /** The bearer token the codec endpoint asks for; undefined: no endpoint (npm start makes one). */
    token: string | undefined;
    /** The Temporal UI origins a browser may call the endpoint from (CORS); no others. */
    origins: string[];
  };
  dataDir: string;
  sources: SourcesFile;
  bodyLimitBytes: number;
  bodyTimeoutMs: number;
  ledgerRetentionDays: number;
  startTimeoutMs: number;
  /** Workflow starts in flight at once, from the front door's launcher and from the outbox relay. */
  startConcurrency: number;
  /**
   * A server without a worker in its process starts workflows through a native connection of its
   * own; false: through the JavaScript client only.
   */
  nativeStarts: boolean;
  /**
   * When a new delivery is answered: `record`, once its ledger row is committed (its start follows);
   * `start`, once its workflow has started too (slower, and the answer names the run).
   */
  ackAfter: 'record' | 'start';
  outboxIntervalMs: number;
  /** How long a server replica trusts what it read of a managed hook's secrets (a deletion elsewhere takes this long here). */
  hookCacheMs: number;
  /** Refused starts of a parked delivery before it is given up as dead (an outage never counts). */
  deadLetterAfter: number;
  /** A worker process's own `/metrics` port (split deployment); 0 turns it off. */
  workerMetricsPort: number;
  /** The server's `/metrics` port, apart from the webhook port; 0 turns it off. */
  metricsPort: number;
  /**
   * The address every `/metrics` listener binds: loopback by default, so the webhook's public
   * address never serves metrics; `0.0.0.0` where Prometheus scrapes from another host.
   */
  metricsHost: string;
  /** Calling the provider API: every duration is an input so tests run in milliseconds. */
  api: ApiConfig;
  /** A user's app: its module, and how long one of its handlers may run (app/README.md). */
  app: AppConfig;
  temporal: {
    /** Undefined means: run the embedded dev server (only `npm start` does that). */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    devServerPort: number;
    uiPort: number;
  };
  /** OpenTelemetry export, from the standard OTEL_* variables: off unless configured. */
  telemetry: TelemetryConfig;
  /** The untouched env, for `@temporalio/envconfig` (TLS, API key, profiles). */
  env: Env;
}

export interface AppConfig {
  /** The module to load (HOOKFLOW_APP, or `hookflow run <app>`); undefined: no app. */
  path: string | undefined;
  handlerTimeoutMs: number;
  /** A handler's worker is declared lost after this long without a heartbeat (its handler is then retried). */
  handlerHeartbeatMs: number;
  /**
   * Handlers run as local activities, inside the delivery's workflow task: no round trip through
   * the Temporal server before or after each (README, "Handlers as local activities").
   */
  localHandlers: boolean;
}

export interface ApiConfig {
  /** A token for repository hooks (token mode); App mode uses APP_ID and PRIVATE_KEY instead. */
  token: string | undefined;
  /** AES-256 keys (32 bytes each), newest first: the first encrypts, every one decrypts. Empty: the data folder's key. */
  encryptionKeys: Buffer[];
  timeoutMs: number;
  /** 5xx and network errors wait base, 2×base, 4×base, 8×base, then the job fails. */
  backoffBaseMs: number;
  mutationSpacingMs: number;
  contentPerMinute: number;
  contentPerHour: number;
  /** A secondary limit without Retry-After waits at least this, doubling with each repeat. */
  secondaryWaitMs: number;
  /** Pacing waits up to this long are slept inside the activity (between turns of the installation, not holding one). */
  inlineWaitMs: number;
  /** Rate-limit waits up to this long are Temporal retries with a server-side delay; longer ones are workflow timers. */
  retryWaitMs: number;
  reservePercent: number;
  tokenRefreshMarginMs: number;
  resyncIntervalMinutes: number;
  /**
   * How often a pass compares GitHub's delivery log with the ledger and asks for what hookflow
   * missed; 0 turns the schedule off. At most GitHub's 3-day redelivery window, or a gap could open
   * between two passes that no pass can close.
   */
  reconcileIntervalMinutes: number;
  /** A pass replays each delivery that failed in hookflow, once (else it only reports them). */
  reconcileReplayFailed: boolean;
  syncPagesPerRun: number;
  syncPagesPerActivity: number;
  welcome: { label: string | undefined; comment: string | undefined };
}

/** Secrets are comma-separated: `WEBHOOK_SECRET=new-secret,old-secret`. */
function splitSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * What a process runs: `server` and `worker` run on their own (split deployment), `cli` talks to a
 * running hookflow, `all` is `npm start` (everything in one process, on the embedded defaults when
 * nothing else is configured).
 */
export type Role = 'server' | 'worker' | 'cli' | 'all';

/** A server's or a worker's configuration: it has a cluster and a shared database. */
export type SplitConfig = Config & {
  temporal: Config['temporal'] & { address: string };
  databaseUrl: string;
};

/** Reads the configuration, reporting every problem at once, the role's own requirements included. */
export function loadConfig(env: Env, role: 'server' | 'worker'): SplitConfig;
export function loadConfig(env?: Env, role?: Role): Config;
export function loadConfig(env: Env = process.env, role: Role = 'all'): Config {
  const problems: string[] = [];
  // Empty strings count as unset, as in a .env file with `FOO=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.success ? parsed.data : undefined;

  if (
    env.WEBHOOK_SECRET !== undefined &&
    env.WEBHOOK_SECRET !== '' &&
    splitSecrets(env.WEBHOOK_SECRET).length === 0
  ) {
    problems.push('WEBHOOK_SECRET: lists no secret (secrets are comma-separated)');
  }
  if (present.PRIVATE_KEY && present.PRIVATE_KEY_PATH) {
    problems.push('PRIVATE_KEY and PRIVATE_KEY_PATH: set one of them, not both');
  }
  let privateKey = present.PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (present.PRIVATE_KEY_PATH && !present.PRIVATE_KEY) {
    try {
      privateKey = readFileSync(present.PRIVATE_KEY_PATH, 'utf8');
    } catch (err) {
      problems.push(`PRIVATE_KEY_PATH: cannot read ${present.PRIVATE_KEY_PATH} (${(err as Error).message})`);
    }
  }
  if (privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    problems.push('PRIVATE_KEY: is not a PEM private key (expected a -----BEGIN ... PRIVATE KEY----- block)');
  }
  if (present.APP_ID && privateKey === undefined) {
    problems.push('APP_ID: is set, so PRIVATE_KEY or PRIVATE_KEY_PATH is required too');
  }

  const encryptionKeys: Buffer[] = [];
  for (const [i, text] of splitSecrets(present.HOOKFLOW_ENCRYPTION_KEY).entries()) {
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32 || key.toString('base64') !== text) {
      problems.push(
        `HOOKFLOW_ENCRYPTION_KEY: key ${i + 1} is not 32 bytes in base64 (make one with: openssl rand -base64 32)`,
      );
    } else encryptionKeys.push(key);
  }
  if (present.GITHUB_TOKEN && present.APP_ID) {
    problems.push('GITHUB_TOKEN and APP_ID: choose token mode or App mode, not both');
  }
  if (/\s/.test(present.GITHUB_TOKEN ?? '')) problems.push('GITHUB_TOKEN: contains whitespace');

  let tls: Config['tls'];
  if (Boolean(present.TLS_CERT_PATH) !== Boolean(present.TLS_KEY_PATH)) {
    problems.push('TLS_CERT_PATH and TLS_KEY_PATH: set both to serve HTTPS, or neither');
  } else if (present.TLS_CERT_PATH && present.TLS_KEY_PATH) {
    const read = (name: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        problems.push(`${name}: cannot read ${file} (${(err as Error).message})`);
        return undefined;
      }
    };
    const cert = read('TLS_CERT_PATH', present.TLS_CERT_PATH);
    const key = read('TLS_KEY_PATH', present.TLS_KEY_PATH);
    if (cert && key) tls = { cert, key, certPath: present.TLS_CERT_PATH, keyPath: present.TLS_KEY_PATH };
  }

  let sources: SourcesFile = { hooks: [], providers: [] };
  if (present.HOOKFLOW_SOURCES_FILE) {
    sources = readSourcesFile(present.HOOKFLOW_SOURCES_FILE, problems);
  }
  if (e) {
    const paths = [e.WEBHOOK_PATH, ...sources.providers.map((p) => p.path)];
    const dup = paths.find((p, i) => paths.indexOf(p) !== i);
    if (dup) problems.push(`HOOKFLOW_SOURCES_FILE: path ${dup} is used by two providers`);
  }
  // A provider's name keys its workflow IDs, installations and source: it must be its own.
  // A hook's delivery log is listed with a token that can read the hook (token mode): an App's
  // installation tokens are not what an operator configured for it.
  for (const [i, hook] of sources.hooks.entries()) {
    const where =
      hook.repository !== undefined
        ? 'repository'
        : hook.organization !== undefined
          ? 'organization'
          : undefined;
    if (where && !present.GITHUB_TOKEN) {
      problems.push(
        `HOOKFLOW_SOURCES_FILE: hooks.${i}.${where}: listing hook ${hook.hookId}'s deliveries needs GITHUB_TOKEN (a token that can read the hook's settings)`,
      );
    }
  }
  const names = ['github', ...sources.providers.map((p) => p.name)];
  const taken = names.find((n, i) => names.indexOf(n) !== i);
  if (taken) problems.push(`HOOKFLOW_SOURCES_FILE: provider name ${taken} is taken (github is built in)`);

  problems.push(...roleProblems(present, role));

  if (problems.length > 0 || !e) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host: e.HOST,
    webhookPath: e.WEBHOOK_PATH,
    webhookSecrets: splitSecrets(e.WEBHOOK_SECRET),
    webhookAllowSha1: e.WEBHOOK_ALLOW_SHA1,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    appId: e.APP_ID,
    privateKey,
    githubApiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
    publicUrl: e.HOOKFLOW_PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.HOOKFLOW_DB_POOL_SIZE,
    tls,
    tlsReloadMs: e.HOOKFLOW_TLS_RELOAD_MS,
    ipAllowList: { mode: e.HOOKFLOW_IP_ALLOWLIST, refreshMs: e.HOOKFLOW_IP_ALLOWLIST_REFRESH_MS },
    trustedProxies: e.HOOKFLOW_TRUSTED_PROXIES ?? [],
    historyEncryption: e.HOOKFLOW_HISTORY_ENCRYPTION === 'on',
    searchRepository: e.HOOKFLOW_SEARCH_REPOSITORY === 'on',
    admin: { port: e.HOOKFLOW_ADMIN_PORT, host: e.HOOKFLOW_ADMIN_HOST },
    codec: {
      token: e.HOOKFLOW_CODEC_TOKEN,
      // The local UI's origins for the embedded default (npm start runs that UI); none otherwise.
      origins:
        e.HOOKFLOW_CODEC_ORIGINS ??
        (e.TEMPORAL_ADDRESS === undefined
          ? [`http://127.0.0.1:${e.TEMPORAL_UI_PORT}`, `http://localhost:${e.TEMPORAL_UI_PORT}`]
          : []),
    },
    dataDir: path.resolve(e.HOOKFLOW_DATA_DIR),
    sources,
    bodyLimitBytes: e.HOOKFLOW_BODY_LIMIT,
    bodyTimeoutMs: e.HOOKFLOW_BODY_TIMEOUT_MS,
    ledgerRetentionDays: e.HOOKFLOW_LEDGER_RETENTION_DAYS,
    startTimeoutMs: e.HOOKFLOW_START_TIMEOUT_MS,
    startConcurrency: e.HOOKFLOW_START_CONCURRENCY,
    nativeStarts: e.HOOKFLOW_NATIVE_STARTS,
    ackAfter: e.HOOKFLOW_ACK_AFTER,
    outboxIntervalMs: e.HOOKFLOW_OUTBOX_INTERVAL_MS,
    hookCacheMs: e.HOOKFLOW_HOOK_CACHE_MS,
    deadLetterAfter: e.HOOKFLOW_DEAD_LETTER_AFTER,
    workerMetricsPort: e.HOOKFLOW_WORKER_METRICS_PORT,
    metricsPort: e.HOOKFLOW_METRICS_PORT,
    metricsHost: e.HOOKFLOW_METRICS_HOST,
    api: {
      token: e.GITHUB_TOKEN,
      encryptionKeys,
      timeoutMs: e.HOOKFLOW_API_TIMEOUT_MS,
      backoffBaseMs: e.HOOKFLOW_API_BACKOFF_MS,
      mutationSpacingMs: e.HOOKFLOW_MUTATION_SPACING_MS,
      contentPerMinute: e.HOOKFLOW_CONTENT_PER_MINUTE,
      contentPerHour: e.HOOKFLOW_CONTENT_PER_HOUR,
      secondaryWaitMs: e.HOOKFLOW_SECONDARY_WAIT_MS,
      inlineWaitMs: e.HOOKFLOW_INLINE_WAIT_MS,
      retryWaitMs: e.HOOKFLOW_RETRY_WAIT_MS,
      reservePercent: e.HOOKFLOW_RATE_RESERVE_PERCENT,
      tokenRefreshMarginMs: e.HOOKFLOW_TOKEN_REFRESH_MARGIN_MS,
      resyncIntervalMinutes: e.HOOKFLOW_RESYNC_INTERVAL_MINUTES,
      reconcileIntervalMinutes: e.HOOKFLOW_RECONCILE_INTERVAL_MINUTES,
      reconcileReplayFailed: e.HOOKFLOW_RECONCILE_REPLAY_FAILED,
      syncPagesPerRun: e.HOOKFLOW_SYNC_PAGES_PER_RUN,
      syncPagesPerActivity: e.HOOKFLOW_SYNC_PAGES_PER_ACTIVITY,
      welcome: { label: e.HOOKFLOW_WELCOME_LABEL, comment: e.HOOKFLOW_WELCOME_COMMENT },
    },
    app: {
      path: e.HOOKFLOW_APP,
      handlerTimeoutMs: e.HOOKFLOW_HANDLER_TIMEOUT_MS,
      handlerHeartbeatMs: e.HOOKFLOW_HANDLER_HEARTBEAT_MS,
      localHandlers: e.HOOKFLOW_LOCAL_HANDLERS,
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devServerPort: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    telemetry: telemetryConfig(e),
    env,
  };
}

/** What a role needs beyond a valid configuration; `present` holds the set variables only. */
function roleProblems(present: Env, role: Role): string[] {
  const problems: string[] = [];
  if (role === 'server' || role === 'worker') {
    if (!present.TEMPORAL_ADDRESS) {
      problems.push(
        `TEMPORAL_ADDRESS: required when the ${role} runs on its own (npm start runs a local Temporal)`,
      );
    }
    if (!present.DATABASE_URL) {
      problems.push(
        'DATABASE_URL: required when server and worker run as separate processes (the embedded store is single-process)',
      );
    }
  }
  // (A value that is no number is reported by its parser already.)
  const pool = present.HOOKFLOW_DB_POOL_SIZE;
  if (role === 'worker' && pool !== undefined && /^\d+$/.test(pool)) {
    const problem = workerPoolProblem(Number(pool));
    if (problem) problems.push(problem);
  }
  // Every process must decrypt what the others encrypted (and every worker open the tokens the
  // others sealed): a key made per process or per folder would leave workflows no worker can read.
  // Only the embedded default, and a command line beside it, share its data folder's key.
  const shared =
    role === 'server' ||
    role === 'worker' ||
    (role === 'cli' && (present.TEMPORAL_ADDRESS || present.DATABASE_URL));
  if (shared && splitSecrets(present.HOOKFLOW_ENCRYPTION_KEY).length === 0) {
    if (present.HOOKFLOW_HISTORY_ENCRYPTION !== 'off')
      problems.push(
        `HOOKFLOW_ENCRYPTION_KEY: required for the ${role}, the same in every process: it encrypts what Temporal stores${role === 'worker' && present.APP_ID ? ' and the installation tokens workers share' : ''} (make one with: openssl rand -base64 32; HOOKFLOW_HISTORY_ENCRYPTION=off stores it in plain text)`,
      );
    else if (role === 'worker' && present.APP_ID)
      problems.push(
        'HOOKFLOW_ENCRYPTION_KEY: required for a worker in App mode (make one with: openssl rand -base64 32)',
      );
  }
  return problems;
}

function readSourcesFile(file: string, problems: string[]): SourcesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`HOOKFLOW_SOURCES_FILE: cannot read ${file} as JSON (${(err as Error).message})`);
    return { hooks: [], providers: [] };
  }
  const parsed = sourcesFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`HOOKFLOW_SOURCES_FILE ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return { hooks: [], providers: [] };
  }
  return parsed.data;
}
