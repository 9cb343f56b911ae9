// The environment variables hookflow reads, each with its parser: a value that does not parse is a
// problem named after its variable. lib/config.ts turns the parsed values into the Config the
// processes use and adds the checks that span several variables.
import { z } from 'zod';
import { parseRange } from './net';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An integer from a string; `Number('')` is 0 and `Number('x')` is NaN, so neither is accepted. */
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlString = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

/** Byte sizes: `25mb`, `512kb`, `1048576`. */
const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb)?$/i, 'must be a size such as 25mb, 512kb or a number of bytes')
  .transform((v) => {
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb)?$/i.exec(v)!;
    const unit = (m[2] ?? 'b').toLowerCase();
    return Math.floor(Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1));
  })
  .pipe(z.number().int().min(1024, 'must be at least 1kb'));

const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** `otlp,console`: a comma-separated list of known exporter names. */
const exporterList = <T extends string>(names: readonly T[]) =>
  z
    .string()
    .refine((v) => v.split(',').every((x) => (names as readonly string[]).includes(x.trim())), {
      message: `must be a comma-separated list of ${names.join(', ')}`,
    })
    .transform((v) => v.split(',').map((x) => x.trim() as T));

/** Comma-separated addresses or CIDR ranges (`10.0.0.0/8,2001:db8::/32,203.0.113.7`). */
/** Web origins (`scheme://host[:port]`, nothing after), comma-separated: whom a browser may let read an answer. */
const originList = z.string().transform((v, ctx) => {
  const items = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const bad = items.filter((x) => {
    try {
      const u = new URL(x);
      const bare = u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
      return !['http:', 'https:'].includes(u.protocol) || !bare || x.includes('?') || x.endsWith('#');
    } catch {
      return true;
    }
  });
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `not a web origin: ${bad.join(', ')} (expected e.g. http://localhost:8233: scheme, host and port, no path)`,
    });
    return z.NEVER;
  }
  return items.map((x) => new URL(x).origin);
});

const addressRanges = z.string().transform((v, ctx) => {
  const items = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const bad = items.filter((x) => parseRange(x) === undefined);
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `not an address or CIDR range: ${bad.join(', ')} (expected e.g. 10.1.2.0/24, 2001:db8::/64 or 203.0.113.7)`,
    });
    return z.NEVER;
  }
  // A range this wide would believe X-Forwarded-For from almost anyone: the allow-list undone.
  const wide = items.filter((x) => {
    const r = parseRange(x)!;
    const mapped = r.family === 'ipv6' && /^::ffff:/i.test(r.address);
    return r.family === 'ipv4' ? r.prefix < 8 : mapped ? r.prefix < 104 : r.prefix < 16;
  });
  if (wide.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `too wide to trust: ${wide.join(', ')} (name the proxies' own addresses or small ranges: anyone in a trusted range can claim any sender)`,
    });
    return z.NEVER;
  }
  return items;
});

export const envSchema = z.object({
  PORT: intString(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  WEBHOOK_PATH: z.string().startsWith('/', 'must start with /').default('/api/github/webhooks'),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_ALLOW_SHA1: boolString.default(false),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  APP_ID: intString(1, Number.MAX_SAFE_INTEGER).optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  GITHUB_API_URL: urlString(['https:', 'http:']).default('https://api.github.com'),
  HOOKFLOW_PUBLIC_URL: urlString(['https:', 'http:']).optional(),
  DATABASE_URL: urlString(['postgres:', 'postgresql:']).optional(),
  TLS_CERT_PATH: z.string().min(1).optional(),
  TLS_KEY_PATH: z.string().min(1).optional(),
  HOOKFLOW_TLS_RELOAD_MS: intString(100, 3_600_000).default(30_000),
  HOOKFLOW_IP_ALLOWLIST: z.enum(['off', 'github-meta']).default('off'),
  HOOKFLOW_HISTORY_ENCRYPTION: z.enum(['on', 'off']).default('on'),
  HOOKFLOW_SEARCH_REPOSITORY: z.enum(['on', 'off']).default('on'),
  HOOKFLOW_ADMIN_PORT: intString(0, 65535).default(9466),
  HOOKFLOW_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  HOOKFLOW_CODEC_TOKEN: z
    .string()
    .regex(
      /^[A-Za-z0-9._~-]{32,512}$/,
      'must be 32 to 512 characters of letters, digits and . _ ~ - (make one with: openssl rand -hex 24)',
    )
    .optional(),
  HOOKFLOW_CODEC_ORIGINS: originList.optional(),
  HOOKFLOW_IP_ALLOWLIST_REFRESH_MS: intString(100, 7 * 24 * 3_600_000).default(3_600_000),
  HOOKFLOW_TRUSTED_PROXIES: addressRanges.optional(),
  HOOKFLOW_DATA_DIR: z.string().min(1).default('.hookflow'),
  HOOKFLOW_SOURCES_FILE: z.string().optional(),
  HOOKFLOW_BODY_LIMIT: byteSize.default(25 * 1024 * 1024),
  HOOKFLOW_BODY_TIMEOUT_MS: intString(100, 600_000).default(10_000),
  HOOKFLOW_LEDGER_RETENTION_DAYS: intString(4, 3650).default(14),
  HOOKFLOW_START_TIMEOUT_MS: intString(50, 60_000).default(3_000),
  HOOKFLOW_START_CONCURRENCY: intString(1, 1_000).default(16),
  HOOKFLOW_NATIVE_STARTS: boolString.default(true),
  HOOKFLOW_DB_POOL_SIZE: intString(1, 1_000).optional(),
  HOOKFLOW_ACK_AFTER: z.enum(['record', 'start']).default('record'),
  HOOKFLOW_OUTBOX_INTERVAL_MS: intString(10, 600_000).default(1_000),
  HOOKFLOW_HOOK_CACHE_MS: intString(0, 600_000).default(5_000),
  HOOKFLOW_DEAD_LETTER_AFTER: intString(1, 1_000).default(10),
  GITHUB_TOKEN: z.string().min(1).optional(),
  HOOKFLOW_ENCRYPTION_KEY: z.string().optional(),
  HOOKFLOW_API_TIMEOUT_MS: intString(100, 600_000).default(10_000),
  HOOKFLOW_API_BACKOFF_MS: intString(1, 600_000).default(1_000),
  HOOKFLOW_MUTATION_SPACING_MS: intString(0, 600_000).default(1_000),
  HOOKFLOW_CONTENT_PER_MINUTE: intString(1, 10_000).default(80),
  HOOKFLOW_CONTENT_PER_HOUR: intString(1, 100_000).default(500),
  HOOKFLOW_SECONDARY_WAIT_MS: intString(1, 3_600_000).default(60_000),
  HOOKFLOW_INLINE_WAIT_MS: intString(0, 60_000).default(5_000),
  HOOKFLOW_RETRY_WAIT_MS: intString(1, 3_600_000).default(60_000),
  HOOKFLOW_RATE_RESERVE_PERCENT: intString(0, 50).default(2),
  // A user's app (handler module); its handlers run as activities on the worker.
  HOOKFLOW_APP: z.string().min(1).optional(),
  HOOKFLOW_HANDLER_TIMEOUT_MS: intString(1_000, 24 * 3_600_000).default(10 * 60_000),
  HOOKFLOW_HANDLER_HEARTBEAT_MS: intString(500, 3_600_000).default(30_000),
  HOOKFLOW_LOCAL_HANDLERS: boolString.default(false),
  HOOKFLOW_TOKEN_REFRESH_MARGIN_MS: intString(1_000, 3_000_000).default(10 * 60_000),
  HOOKFLOW_RESYNC_INTERVAL_MINUTES: intString(0, 525_600).default(360),
  // Two days at most: a pass must come well within GitHub's 3-day redelivery window.
  HOOKFLOW_RECONCILE_INTERVAL_MINUTES: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of minutes')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .max(
          2_880,
          "must be at most 2880 (2 days), so passes come well within GitHub's 3-day redelivery window",
        ),
    )
    .default(60),
  HOOKFLOW_RECONCILE_REPLAY_FAILED: boolString.default(false),
  HOOKFLOW_SYNC_PAGES_PER_RUN: intString(1, 10_000).default(200),
  HOOKFLOW_SYNC_PAGES_PER_ACTIVITY: intString(1, 1_000).default(10),
  HOOKFLOW_WORKER_METRICS_PORT: intString(0, 65535).default(9464),
  HOOKFLOW_METRICS_PORT: intString(0, 65535).default(9465),
  HOOKFLOW_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  HOOKFLOW_WELCOME_LABEL: z.string().min(1).max(50).optional(),
  HOOKFLOW_WELCOME_COMMENT: z.string().min(1).max(65_000).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('hookflow'),
  TEMPORAL_PORT: intString(1, 65535).default(7233),
  TEMPORAL_UI_PORT: intString(1, 65535).default(8233),
  // OpenTelemetry's standard variables (the exporters read the rest, such as OTEL_EXPORTER_OTLP_HEADERS).
  OTEL_SDK_DISABLED: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(boolString)
    .default(false),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  OTEL_TRACES_EXPORTER: exporterList(['otlp', 'console', 'none']).optional(),
  OTEL_METRICS_EXPORTER: exporterList(['otlp', 'prometheus', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlString(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlString(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: urlString(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_METRIC_EXPORT_INTERVAL: intString(100, 3_600_000).default(60_000),
});

export type ParsedEnv = z.infer<typeof envSchema>;
