// No Docker engine runs here, so the production-shaped stack is checked by its structure: the
// services, pinned images, ports, and that hookflow's environment in it passes hookflow's own
// configuration schema and points at services of the same file. The observability services'
// configuration files are checked in observability-stack.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config';
import { TEMPORAL_SERVER_VERSION } from '../../lib/temporal/binaries';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: number };
}

const root = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** `${VAR:?message}` and `${VAR:-default}` as compose would substitute them, given `env`. */
function substitute(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::[?-]([^}]*))?\}/g,
    (_m, name: string, fallback?: string) => env[name] ?? fallback ?? '',
  );
}

describe('docker-compose.yml', () => {
  test('has the production-shaped services', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'grafana',
      'hookflow-db',
      'hookflow-server',
      'hookflow-worker',
      'jaeger',
      'otel-collector',
      'prometheus',
      'temporal',
      'temporal-db',
      'temporal-ui',
    ]);
  });

  test('the observability stack: collector, Jaeger, Prometheus and Grafana, their UIs on this host only', () => {
    assert.match(services['otel-collector'].image!, /^otel\/opentelemetry-collector-contrib:/);
    // hookflow reaches the collector over the compose network: nobody outside can inject spans.
    assert.equal(services['otel-collector'].ports, undefined);
    assert.match(services.jaeger.image!, /^jaegertracing\/all-in-one:/);
    assert.ok(services.jaeger.ports!.includes('127.0.0.1:16686:16686'));
    assert.match(services.prometheus.image!, /^prom\/prometheus:/);
    assert.ok(services.prometheus.ports!.includes('127.0.0.1:9090:9090'));
    assert.ok(
      !services.prometheus.command!.includes('--web.enable-lifecycle'),
      'no remote shutdown of alerting',
    );
    assert.match(services.grafana.image!, /^grafana\/grafana:/);
    assert.ok(services.grafana.ports!.includes('127.0.0.1:3001:3000'), "Grafana off hookflow's port 3000");
  });

  test("the Temporal UI decodes through the server's codec endpoint, which grants that UI's origin", () => {
    const env = (s: Service) =>
      Object.fromEntries(
        Object.entries(s.environment!).map(([k, v]) => [
          k,
          substitute(String(v), {
            WEBHOOK_SECRET: 's',
            HOOKFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
            HOOKFLOW_CODEC_TOKEN: 'codec-token-from-the-environment-0123',
          }),
        ]),
      );
    const server = loadConfig(env(services['hookflow-server']), 'server');
    const ui = env(services['temporal-ui']);
    const endpoint = new URL(ui.TEMPORAL_CODEC_ENDPOINT);
    assert.equal(
      endpoint.pathname,
      '/codec-token-from-the-environment-0123',
      'the token the server asks for',
    );
    assert.equal(Number(endpoint.port), server.admin.port);
    assert.ok(
      services['hookflow-server'].ports!.includes(`127.0.0.1:${server.admin.port}:${server.admin.port}`),
    );
    const uiPort = services['temporal-ui'].ports![0].split(':').at(-1);
    assert.deepEqual(server.codec.origins, [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`]);
    assert.equal(server.admin.host, '0.0.0.0', 'reachable through the published port');
  });

  test('every image is pinned to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} has an image`);
      assert.match(s.image, /:[\w.-]+$/, `${name} pins a tag`);
      assert.doesNotMatch(s.image, /:latest$/, `${name} does not use latest`);
    }
  });

  test('Temporal runs on PostgreSQL, with its UI: the server version and schemas the cluster tier tests', () => {
    const t = services.temporal;
    // auto-setup applies the same postgres12 schemas (setup-schema, then update-schema) before it starts.
    assert.equal(t.image, `temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    assert.equal(t.environment!.DB, 'postgres12');
    assert.equal(t.environment!.POSTGRES_SEEDS, 'temporal-db');
    const pgMajor = Number(/^postgres:(\d+)/.exec(services['temporal-db'].image!)?.[1]);
    assert.ok(pgMajor >= 12, `the postgres12 schemas need PostgreSQL 12 or later, not ${pgMajor}`);
    assert.ok(t.ports!.includes('7233:7233'));
    assert.equal(services['temporal-ui'].environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(services['temporal-ui'].ports!.includes('8080:8080'));
  });

  test('hookflow server and worker: built from this repository, entry points that exist, valid configuration', () => {
    const server = services['hookflow-server'];
    const worker = services['hookflow-worker'];
    assert.ok(server.build, 'the server image is built from the Dockerfile');
    assert.ok(existsSync(path.join(root, 'Dockerfile')));
    assert.equal(worker.image, server.image, 'server and worker share one image');
    // The image runs the compiled build (dist/…/main.js, made by `npm run build` in the Dockerfile)
    // under plain node: each entry point is compiled from a source that exists.
    const source = (command: string[] | undefined) => {
      assert.equal(command?.[0], 'node', 'plain node runs the build, no tsx');
      const compiled = command.at(-1)!;
      assert.match(compiled, /^dist\/.+\.js$/);
      return compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    };
    assert.ok(existsSync(path.join(root, source(server.command))), 'server entry point exists');
    assert.ok(existsSync(path.join(root, source(worker.command))), 'worker entry point exists');
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
    assert.ok(server.ports!.includes('3000:3000'));
    assert.equal(worker.ports, undefined, 'workers publish no port, so they can scale');
    assert.ok((worker.deploy?.replicas ?? 1) >= 2, 'several worker replicas');

    for (const [s, name] of [
      [server, 'hookflow-server'],
      [worker, 'hookflow-worker'],
    ] as const) {
      const env = Object.fromEntries(
        Object.entries(s.environment!).map(([k, v]) => [
          k,
          substitute(String(v), {
            WEBHOOK_SECRET: 'from-the-env',
            HOOKFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
            HOOKFLOW_CODEC_TOKEN: 'codec-token-from-the-environment-0123',
          }),
        ]),
      );
      const config = loadConfig(env, name === 'hookflow-server' ? 'server' : 'worker');
      assert.equal(config.historyEncryption, true);
      assert.equal(config.temporal.address, 'temporal:7233');
      assert.deepEqual(config.webhookSecrets, ['from-the-env']);
      const db = new URL(config.databaseUrl);
      assert.ok(services[db.hostname], `DATABASE_URL points at the ${db.hostname} service`);
      assert.equal(services[db.hostname].environment!.POSTGRES_DB, db.pathname.slice(1));
      assert.ok(services[config.temporal.address.split(':')[0]], 'TEMPORAL_ADDRESS points at a service');
      assert.equal(env.OTEL_SERVICE_NAME, name, 'traces name the process they come from');
      assert.deepEqual(config.telemetry.traces.exporters, ['otlp']);
      assert.equal(
        config.telemetry.metrics.otlp,
        false,
        'metrics reach Prometheus once: scraped from /metrics, not pushed through the collector too',
      );
      const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      assert.ok(
        services[otlp.hostname],
        `OTEL_EXPORTER_OTLP_ENDPOINT points at the ${otlp.hostname} service`,
      );
    }
    assert.equal(
      worker.environment!.HOOKFLOW_WORKER_METRICS_PORT,
      '9464',
      "workers' /metrics, for Prometheus",
    );
    assert.match(
      String(services['hookflow-server'].environment!.WEBHOOK_SECRET),
      /:\?/,
      'a missing secret stops compose, not a silent default',
    );
    assert.match(
      String(services['hookflow-server'].environment!.HOOKFLOW_ENCRYPTION_KEY),
      /:\?/,
      'a missing key stops compose: every process must share it',
    );
  });
});
