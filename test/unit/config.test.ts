// Configuration: defaults, every problem reported at once (a role's own requirements included), and
// the values each setting turns into.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, type Role } from '../../lib/config';
import { startEmbedded } from '../../scripts/start';
import { GITHUB_WORKFLOWS, DECLARATIVE_WORKFLOW } from '../../server/providers';
import * as workflows from '../../workflows';

function problems(env: Record<string, string>, role?: Role): string[] {
  try {
    loadConfig(env, role);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

function tmpFile(content: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hookflow-config-')), 'f.json');
  writeFileSync(file, content);
  return file;
}

describe('configuration', () => {
  test('defaults follow Probot where names overlap', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.webhookPath, '/api/github/webhooks');
    assert.deepEqual(c.webhookSecrets, []);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.githubApiUrl, 'https://api.github.com');
    assert.equal(c.bodyLimitBytes, 25 * 1024 * 1024);
    assert.equal(c.ledgerRetentionDays, 14);
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.temporal.taskQueue, 'hookflow');
    assert.equal(c.nativeStarts, true);
    assert.equal(c.databasePoolSize, undefined);
    assert.equal(loadConfig({ HOOKFLOW_DB_POOL_SIZE: '4' }).databasePoolSize, 4);
    assert.equal(loadConfig({ HOOKFLOW_NATIVE_STARTS: 'false' }).nativeStarts, false);
    assert.equal(c.app.localHandlers, false);
    assert.equal(loadConfig({ HOOKFLOW_LOCAL_HANDLERS: 'true' }).app.localHandlers, true);
    // Metrics are not on the webhook's public address: a port of their own, on loopback.
    assert.deepEqual([c.metricsHost, c.metricsPort, c.workerMetricsPort], ['127.0.0.1', 9465, 9464]);
  });

  test("API settings: defaults follow GitHub's rules, and every bad value is named", () => {
    const c = loadConfig({});
    assert.equal(c.api.mutationSpacingMs, 1_000);
    assert.equal(c.api.contentPerMinute, 80);
    assert.equal(c.api.contentPerHour, 500);
    assert.equal(c.api.secondaryWaitMs, 60_000);
    assert.equal(c.api.backoffBaseMs, 1_000);
    assert.deepEqual(c.api.encryptionKeys, []);
    const key = Buffer.alloc(32, 3).toString('base64');
    assert.deepEqual(loadConfig({ HOOKFLOW_ENCRYPTION_KEY: `${key},${key}` }).api.encryptionKeys.length, 2);
    const found = problems({
      HOOKFLOW_ENCRYPTION_KEY: 'c2hvcnQ=',
      GITHUB_TOKEN: 'ghp_x',
      APP_ID: '1',
      PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
      HOOKFLOW_API_BACKOFF_MS: 'fast',
      HOOKFLOW_CONTENT_PER_MINUTE: '0',
      HOOKFLOW_WELCOME_LABEL: 'x'.repeat(51),
    });
    assert.ok(
      found.some((p) => p.startsWith('HOOKFLOW_ENCRYPTION_KEY: key 1 is not 32 bytes')),
      found.join('\n'),
    );
    assert.ok(found.includes('GITHUB_TOKEN and APP_ID: choose token mode or App mode, not both'));
    assert.ok(found.some((p) => p.startsWith('HOOKFLOW_API_BACKOFF_MS:')));
    assert.ok(found.some((p) => p.startsWith('HOOKFLOW_CONTENT_PER_MINUTE:')));
    assert.ok(found.some((p) => p.startsWith('HOOKFLOW_WELCOME_LABEL:')));
    assert.ok(problems({ GITHUB_TOKEN: 'two words' }).includes('GITHUB_TOKEN: contains whitespace'));
  });

  test('OpenTelemetry export follows the standard OTEL_* variables, off when none is set', () => {
    const off = loadConfig({}).telemetry;
    assert.deepEqual(off.traces.exporters, []);
    assert.equal(off.metrics.otlp, false);
    // An endpoint alone turns OTLP on for both, over http/protobuf (the specification's default).
    const endpoint = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).telemetry;
    assert.deepEqual(endpoint.traces, { exporters: ['otlp'], protocol: 'http/protobuf' });
    assert.equal(endpoint.metrics.otlp, true);
    const chosen = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'hooks-eu',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
    }).telemetry;
    assert.deepEqual(chosen, {
      serviceName: 'hooks-eu',
      traces: { exporters: ['otlp', 'console'], protocol: 'http/json' },
      metrics: { otlp: false, protocol: 'grpc', intervalMs: 5000 },
    });
    const disabled = loadConfig({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }).telemetry;
    assert.deepEqual(disabled.traces.exporters, []);
    assert.deepEqual(
      problems({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
        OTEL_TRACES_EXPORTER: 'jaeger',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_METRIC_EXPORT_INTERVAL: 'soon',
      }).sort(),
      [
        'OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL (http: or https:)',
        'OTEL_EXPORTER_OTLP_PROTOCOL: Invalid option: expected one of "grpc"|"http/protobuf"|"http/json"',
        'OTEL_METRIC_EXPORT_INTERVAL: must be a whole number',
        'OTEL_TRACES_EXPORTER: must be a comma-separated list of otlp, console, none',
      ],
    );
  });

  test('WEBHOOK_SECRET may list several secrets for rotation; empty values count as unset', () => {
    assert.deepEqual(loadConfig({ WEBHOOK_SECRET: 'new, old' }).webhookSecrets, ['new', 'old']);
    assert.equal(loadConfig({ PORT: '' }).port, 3000);
  });

  test('every problem is reported at once, saying what is wrong', () => {
    const found = problems({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      GITHUB_API_URL: 'not a url',
      HOOKFLOW_BODY_LIMIT: '25 gigabytes',
      HOOKFLOW_LEDGER_RETENTION_DAYS: '1',
      APP_ID: '12',
      WEBHOOK_SECRET: ' , ',
      HOOKFLOW_NATIVE_STARTS: 'maybe',
      HOOKFLOW_DB_POOL_SIZE: '0',
      HOOKFLOW_LOCAL_HANDLERS: 'on',
    });
    const text = found.join('\n');
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'DATABASE_URL',
      'GITHUB_API_URL',
      'HOOKFLOW_BODY_LIMIT',
      'HOOKFLOW_LEDGER_RETENTION_DAYS',
      'APP_ID',
      'WEBHOOK_SECRET',
      'HOOKFLOW_NATIVE_STARTS',
      'HOOKFLOW_DB_POOL_SIZE',
      'HOOKFLOW_LOCAL_HANDLERS',
    ]) {
      assert.match(text, new RegExp(`^${name}:`, 'm'), `${name} is reported`);
    }
    assert.match(text, /PORT: must be a whole number/);
    assert.match(text, /HOOKFLOW_NATIVE_STARTS: must be true or false/);
    assert.match(text, /APP_ID: is set, so PRIVATE_KEY or PRIVATE_KEY_PATH is required/);
  });

  test('the private key: path or value, not both, and it must be PEM', () => {
    const keyFile = tmpFile('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n');
    assert.match(
      loadConfig({ APP_ID: '1', PRIVATE_KEY_PATH: keyFile }).privateKey ?? '',
      /BEGIN RSA PRIVATE KEY/,
    );
    assert.match(problems({ PRIVATE_KEY: 'x', PRIVATE_KEY_PATH: keyFile }).join(), /not both/);
    assert.match(problems({ PRIVATE_KEY: 'hello' }).join(), /not a PEM private key/);
    assert.match(problems({ PRIVATE_KEY_PATH: '/nonexistent/key.pem' }).join(), /cannot read/);
  });

  test('the sources file is validated, naming the bad field', () => {
    assert.match(problems({ HOOKFLOW_SOURCES_FILE: tmpFile('{not json') }).join(), /cannot read .* as JSON/);
    const bad = problems({
      HOOKFLOW_SOURCES_FILE: tmpFile(
        JSON.stringify({
          hooks: [{ hookId: 'abc', secrets: [] }],
          providers: [
            {
              name: 'X',
              path: 'nope',
              secrets: ['s'],
              headers: { delivery: 'a b', signature: 's' },
              installationField: 'a',
              events: ['e'],
            },
          ],
        }),
      ),
    }).join('\n');
    assert.match(bad, /hooks\.0\.hookId: must be the numeric X-GitHub-Hook-ID/);
    assert.match(bad, /hooks\.0\.secrets: list at least one secret/);
    assert.match(bad, /providers\.0\.name/);
    assert.match(bad, /providers\.0\.path/);
    assert.match(bad, /providers\.0\.headers\.delivery/);
    assert.match(problems({ HOOKFLOW_SOURCES_FILE: tmpFile('{"extra": 1}') }).join(), /extra/);
    const provider = (name: string, path: string) => ({
      name,
      path,
      secrets: ['s'],
      headers: { delivery: 'x-d', signature: 'x-s', event: 'x-e' },
      installationField: 'a',
      events: ['e'],
    });
    const named = (list: unknown[]) =>
      problems({ HOOKFLOW_SOURCES_FILE: tmpFile(JSON.stringify({ providers: list })) }).join();
    assert.match(named([provider('github', '/a')]), /provider name github is taken/);
    assert.match(named([provider('x', '/a'), provider('x', '/b')]), /provider name x is taken/);
    assert.match(named([provider('x', '/a'), provider('y', '/a')]), /path \/a is used by two providers/);
  });

  test('LOG_FORMAT is json or pretty; unset, the terminal decides', () => {
    assert.equal(loadConfig({}).logFormat, undefined);
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.deepEqual(problems({ LOG_FORMAT: 'text' }), [
      'LOG_FORMAT: Invalid option: expected one of "json"|"pretty"',
    ]);
  });

  test("a role's requirements are reported in the same list as every other problem", async () => {
    const split = {
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://hookflow@db/hookflow',
    };
    // npm start and the command line run on the embedded defaults: nothing more is required.
    assert.deepEqual(problems({}, 'all'), []);
    assert.deepEqual(problems({}, 'cli'), []);
    assert.deepEqual(problems({}), [], 'all is the default role');
    const key = Buffer.alloc(32, 7).toString('base64');
    const needsKey = (role: string, also = '') =>
      `HOOKFLOW_ENCRYPTION_KEY: required for the ${role}, the same in every process: it encrypts what Temporal stores${also} (make one with: openssl rand -base64 32; HOOKFLOW_HISTORY_ENCRYPTION=off stores it in plain text)`;
    for (const role of ['server', 'worker'] as const) {
      assert.deepEqual(problems({ PORT: 'x' }, role), [
        'PORT: must be a whole number',
        `TEMPORAL_ADDRESS: required when the ${role} runs on its own (npm start runs a local Temporal)`,
        'DATABASE_URL: required when server and worker run as separate processes (the embedded store is single-process)',
        needsKey(role),
      ]);
      const c = loadConfig({ ...split, HOOKFLOW_ENCRYPTION_KEY: key }, role);
      assert.equal(c.temporal.address, 'temporal:7233');
      assert.equal(c.databaseUrl, 'postgres://hookflow@db/hookflow');
      assert.equal(c.historyEncryption, true, 'encrypted unless turned off');
    }
    // History encryption (the default): every process must hold the same key; only the embedded
    // default, and a command line beside it, may use its data folder's.
    assert.deepEqual(problems(split, 'cli'), [needsKey('cli')]);
    assert.deepEqual(problems({ ...split, HOOKFLOW_ENCRYPTION_KEY: key }, 'cli'), []);
    assert.deepEqual(problems(split, 'all'), []);
    // A worker in App mode seals installation tokens that every other worker must open: with
    // encryption off, it still needs the key.
    const app = {
      ...split,
      APP_ID: '1',
      PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
    };
    assert.deepEqual(problems(app, 'worker'), [
      needsKey('worker', ' and the installation tokens workers share'),
    ]);
    const plain = { ...app, HOOKFLOW_HISTORY_ENCRYPTION: 'off' };
    assert.deepEqual(problems(plain, 'worker'), [
      'HOOKFLOW_ENCRYPTION_KEY: required for a worker in App mode (make one with: openssl rand -base64 32)',
    ]);
    assert.deepEqual(problems(plain, 'server'), []);
    assert.deepEqual(problems(app, 'all'), []);
    assert.deepEqual(problems({ ...app, HOOKFLOW_ENCRYPTION_KEY: key }, 'worker'), []);
    assert.deepEqual(
      problems({ APP_ID: '1', PRIVATE_KEY: app.PRIVATE_KEY }, 'worker').map((p) => p.split(':')[0]),
      ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'HOOKFLOW_ENCRYPTION_KEY'],
    );
    assert.equal(loadConfig(plain).historyEncryption, false);
    // A worker's pool holds a connection per activity slot at least; a server's may be smaller.
    const keyed = { ...split, HOOKFLOW_ENCRYPTION_KEY: key };
    assert.deepEqual(
      problems({ ...keyed, HOOKFLOW_DB_POOL_SIZE: '4' }, 'worker').map((p) => p.split(':')[0]),
      ['HOOKFLOW_DB_POOL_SIZE'],
    );
    assert.match(
      problems({ ...keyed, HOOKFLOW_DB_POOL_SIZE: '4' }, 'worker')[0],
      /at least one PostgreSQL connection per activity slot \(20\)/,
    );
    assert.deepEqual(problems({ ...keyed, HOOKFLOW_DB_POOL_SIZE: '20' }, 'worker'), []);
    assert.deepEqual(problems({ ...keyed, HOOKFLOW_DB_POOL_SIZE: '4' }, 'server'), []);
    // npm start runs a worker in its process: on PostgreSQL, it is checked before anything starts.
    const released: unknown[] = [];
    await assert.rejects(
      startEmbedded((r) => void released.push(r), {
        DATABASE_URL: 'postgres://127.0.0.1:1/nothing',
        HOOKFLOW_DB_POOL_SIZE: '4',
      }),
      (err: unknown) =>
        err instanceof ConfigError && /^HOOKFLOW_DB_POOL_SIZE: 4 is too few/.test(err.problems[0]),
    );
    assert.deepEqual(released, [], 'nothing was started');
  });

  test('the codec endpoint: its token and UI origins are checked; the local UI is its default origin', () => {
    assert.deepEqual(loadConfig({}).codec.origins, ['http://127.0.0.1:8233', 'http://localhost:8233']);
    assert.deepEqual(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).codec.origins, []);
    assert.deepEqual(
      loadConfig({ HOOKFLOW_CODEC_ORIGINS: 'https://temporal.example.com/, http://UI.internal:8080' }).codec
        .origins,
      ['https://temporal.example.com', 'http://ui.internal:8080'],
    );
    assert.equal(loadConfig({}).admin.port, 9466);
    assert.deepEqual(problems({ HOOKFLOW_CODEC_TOKEN: 'short' }), [
      'HOOKFLOW_CODEC_TOKEN: must be 32 to 512 characters of letters, digits and . _ ~ - (make one with: openssl rand -hex 24)',
    ]);
    assert.deepEqual(
      problems({ HOOKFLOW_CODEC_TOKEN: 'has a space in it, thirty-two characters+' }).length,
      1,
    );
    assert.deepEqual(problems({ HOOKFLOW_CODEC_ORIGINS: 'https://ui.example.com/path,ftp://x,*' }), [
      'HOOKFLOW_CODEC_ORIGINS: not a web origin: https://ui.example.com/path, ftp://x, * (expected e.g. http://localhost:8233: scheme, host and port, no path)',
    ]);
    assert.equal(problems({ HOOKFLOW_CODEC_TOKEN: 'a'.repeat(31) }).length, 1, 'at least 32 characters');
    assert.equal(loadConfig({ HOOKFLOW_CODEC_TOKEN: 'a'.repeat(32) }).codec.token, 'a'.repeat(32));
  });

  test('every workflow the front door names is exported by workflows/', () => {
    for (const name of [...Object.values(GITHUB_WORKFLOWS), DECLARATIVE_WORKFLOW]) {
      assert.equal(typeof (workflows as Record<string, unknown>)[name], 'function', name);
    }
  });
});
