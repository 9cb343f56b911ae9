// The observability stack of docker-compose.yml (collector, Jaeger, Prometheus, Grafana) cannot be
// started here (no Docker engine), so it is checked by structure: the alert rules and the dashboard's
// queries parse as PromQL (Prometheus's own grammar, @prometheus-io/lezer-promql) and use only
// metrics that a real hookflow serves on /metrics; the files point at each other, and at the
// compose services and mounts, consistently.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { apiEnv, installRepo, issueOpened, startFake } from './helpers/api';
import { withHookflow } from './helpers/harness';

const root = path.join(__dirname, '..');

/** A YAML file of the repository (a path relative to it, or absolute). */
function readYaml<T>(file: string): T {
  return parse(readFileSync(path.resolve(root, file), 'utf8'), { merge: true }) as T;
}

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;

/** A service's bind mounts (`./host:/container[:ro]`), the host side resolved in the repository. */
function bindMounts(service: string): { host: string; container: string }[] {
  return (services[service]?.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source.startsWith('.'))
    .map(([source, container]) => ({ host: path.join(root, source), container }));
}

/** The repository file behind `containerPath` in `service`, through the longest matching mount. */
function hostPath(service: string, containerPath: string): string | undefined {
  const mount = bindMounts(service)
    .filter((m) => containerPath === m.container || containerPath.startsWith(`${m.container}/`))
    .sort((a, b) => b.container.length - a.container.length)[0];
  return mount && path.join(mount.host, path.relative(mount.container, containerPath));
}

/** The value of a `--name=value` argument in a service's command. */
function commandFlag(service: string, name: string): string | undefined {
  const prefix = `--${name}=`;
  return services[service]?.command?.find((c) => c.startsWith(prefix))?.slice(prefix.length);
}

/** Where the PromQL grammar found a syntax error in `expr` (`⚠` nodes); empty when it parses. */
function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

/** The metric names `expr` selects (the identifier of each vector selector). */
function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      names.add(expr.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  return [...names];
}

/** Grafana's interval variables are not PromQL: give them the duration Grafana would. */
function fromGrafana(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** The names of `exposition` (Prometheus text format) that have no `# TYPE` line, histogram series included. */
function missingFrom(exposition: string, names: string[]): string[] {
  const types = new Map(
    [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name, type]),
  );
  return names.filter((name) => {
    if (types.has(name)) return false;
    const base = /^(.+)_(bucket|sum|count)$/.exec(name)?.[1];
    return !(base && ['histogram', 'summary'].includes(types.get(base) ?? ''));
  });
}

/** A Prometheus duration such as `5m`, `1h30m` or `0s`. */
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

interface Rule {
  alert?: string;
  record?: string;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}
interface PrometheusConfig {
  rule_files?: string[];
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type?: string; port: number }[];
  }[];
}

// Read as Prometheus will: the config file its command names, through the compose mounts.
const prometheusConfigPath = commandFlag('prometheus', 'config.file') ?? '/etc/prometheus/prometheus.yml';
const prometheusConfig = readYaml<PrometheusConfig>(
  hostPath('prometheus', prometheusConfigPath) ?? 'observability/prometheus/prometheus.yml',
);
// Relative rule files are relative to the config file.
const ruleFiles = (prometheusConfig.rule_files ?? []).map((f) =>
  hostPath('prometheus', path.posix.resolve(path.posix.dirname(prometheusConfigPath), f)),
);
const rules: Rule[] = ruleFiles
  .filter((f): f is string => f !== undefined && existsSync(f))
  .flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups)
  .flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  options?: { content?: string };
}
const dashboardFile = path.join(root, 'observability/grafana/dashboards/hookflow.json');
const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  links?: { url: string }[];
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ where: `${p.title} ${t.refId}`, expr: fromGrafana(t.expr) })),
);

describe('PromQL check', () => {
  test('reports a broken expression, and accepts a sound one', () => {
    assert.notDeepEqual(promqlErrors('sum(rate(hookflow_x[5m])'), [], 'an unclosed parenthesis');
    assert.notDeepEqual(promqlErrors('rate(hookflow_x[5x])'), [], 'a bad duration');
    assert.notDeepEqual(promqlErrors('hookflow_x{a="b"'), [], 'an unclosed label matcher');
    assert.deepEqual(promqlErrors('sum by (a) (rate(hookflow_x[5m])) / (sum(rate(hookflow_x[5m])) > 0)'), []);
    assert.deepEqual(metricNames('sum(rate(hookflow_x{a="b"}[5m])) by (le) / on() up'), ['hookflow_x', 'up']);
  });
});

describe('alert rules', () => {
  test('prometheus.yml loads rule files that exist, mounted into the prometheus service', () => {
    assert.equal(
      hostPath('prometheus', prometheusConfigPath),
      path.join(root, 'observability/prometheus/prometheus.yml'),
    );
    assert.ok(ruleFiles.length > 0, 'prometheus.yml names a rule file');
    for (const f of ruleFiles) assert.ok(f && existsSync(f), `rule file ${f} is in the repository`);
    assert.ok(alerts.length > 0);
  });

  test('every group and rule is well formed, alert names are unique', () => {
    for (const f of ruleFiles) {
      const { groups } = parse(readFileSync(f!, 'utf8')) as { groups: { name?: unknown; rules?: Rule[] }[] };
      assert.ok(Array.isArray(groups) && groups.length > 0, `${f} has groups`);
      for (const g of groups) {
        assert.equal(typeof g.name, 'string', 'a group has a name');
        assert.ok(Array.isArray(g.rules) && g.rules.length > 0, `group ${String(g.name)} has rules`);
      }
    }
    for (const r of alerts) {
      const name = r.alert!;
      assert.match(name, /^Hookflow[A-Za-z]+$/, 'alert name');
      assert.equal(typeof r.expr, 'string', `${name}: expr`);
      assert.match(String(r.for), DURATION, `${name}: for is a Prometheus duration`);
      assert.ok(['critical', 'warning', 'info'].includes(String(r.labels?.severity)), `${name}: severity`);
      const { summary, description } = r.annotations ?? {};
      assert.ok(typeof summary === 'string' && summary.length > 0, `${name}: summary`);
      assert.ok(
        typeof description === 'string' && description.length > 40,
        `${name}: description says what to do`,
      );
    }
    const names = alerts.map((r) => r.alert!);
    assert.deepEqual(names, [...new Set(names)], 'alert names are unique');
  });

  test('covers deliveries, API errors, authentication, token refresh, the outbox, dead letters, sync jobs, replays and reconciliation', () => {
    assert.deepEqual(
      [
        'HookflowDeliveryRejectionRate',
        'HookflowDeliveryWorkflowFailures',
        'HookflowApiErrorRate',
        'HookflowWebhookSignatureFailures',
        'HookflowApiAuthFailures',
        'HookflowTokenRefreshFailing',
        'HookflowOutboxNotDraining',
        'HookflowDeadLetters',
        'HookflowSyncJobsFailing',
        'HookflowMissedDeliveries',
        'HookflowUnrecoverableDeliveryGap',
        'HookflowReplaysFailing',
      ].filter((name) => !alerts.some((r) => r.alert === name)),
      [],
    );
  });

  test('every expr parses as PromQL', () => {
    const broken = rules
      .map((r) => ({ rule: r.alert ?? r.record, expr: String(r.expr), at: promqlErrors(String(r.expr)) }))
      .filter((b) => b.at.length > 0);
    assert.deepEqual(broken, [], 'expressions with syntax errors (at: character offsets)');
  });
});

describe('Grafana dashboard', () => {
  test('is a provisionable dashboard whose panels query Prometheus', () => {
    assert.equal(dashboard.uid, 'hookflow');
    assert.equal(dashboard.title, 'hookflow');
    assert.equal(dashboard.schemaVersion, 39);
    const ids = panels.map((p) => p.id);
    assert.deepEqual(ids, [...new Set(ids)], 'panel ids are unique');
    for (const p of panels.filter((x) => x.targets)) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: 'prometheus' }, `${p.title}: datasource`);
      for (const t of p.targets!) {
        assert.equal(t.datasource?.uid ?? 'prometheus', 'prometheus', `${p.title} ${t.refId}: datasource`);
      }
    }
  });

  test('shows every one of the hookflow metrics an operator watches', () => {
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
    assert.deepEqual(
      [
        'hookflow_deliveries_total',
        'hookflow_ack_duration_seconds_bucket',
        'hookflow_api_requests_total',
        'hookflow_api_request_duration_seconds_bucket',
        'hookflow_api_rate_limit_remaining',
        'hookflow_api_rate_limit_limit',
        'hookflow_api_rate_limit_waits_total',
        'hookflow_api_retries_total',
        'hookflow_api_auth_failures_total',
        'hookflow_delivery_workflows_total',
        'hookflow_sync_jobs_running',
        'hookflow_sync_items_total',
        'hookflow_sync_jobs_total',
        'hookflow_token_refreshes_total',
        'hookflow_outbox_depth',
        'hookflow_replays_total',
        'hookflow_reconcile_missed_total',
        'hookflow_reconcile_redelivered_total',
        'hookflow_reconcile_unrecoverable_total',
        'hookflow_dead_letters_total',
      ].filter((m) => !used.has(m)),
      [],
    );
  });

  test('every panel query parses as PromQL', () => {
    const broken = queries.filter((q) => promqlErrors(q.expr).length > 0);
    assert.deepEqual(broken, [], 'panel queries with syntax errors');
  });

  test("tells how to find a delivery's trace in Jaeger", () => {
    const text = panels
      .filter((p) => p.type === 'text')
      .map((p) => p.options?.content ?? '')
      .join('\n');
    assert.match(text, /hookflow\.delivery\.id=<X-GitHub-Delivery>/);
    assert.match(text, /hookflow-server/);
    assert.ok(
      dashboard.links?.some((l) => l.url.startsWith('http://localhost:16686/search?service=hookflow-server')),
      'a link to the Jaeger UI published by compose',
    );
    assert.ok(services.jaeger.ports!.some((p) => p.endsWith(':16686:16686')));
  });
});

describe("the metrics used exist in hookflow's own /metrics", () => {
  let exposition = '';
  before(async () => {
    // One delivery that calls the (fake) provider: the series that count events exist once something
    // happened; those an alert watches for a first failure exist from start-up, at zero.
    const fake = await startFake();
    try {
      exposition = await withHookflow(
        { sharedMetrics: true, env: apiEnv(fake, { HOOKFLOW_WELCOME_LABEL: 'triage' }) },
        async (h) => {
          await installRepo(h, fake, 'octo/metrics', {
            id: 801,
            installation: '8001',
            issues: 1,
            commentsPerIssue: 0,
          });
          const answer = await h.post(issueOpened(fake, 'octo/metrics', 1, 8001));
          await h.waitForOutcome(String(answer.body.workflowId), 'completed');
          const res = await fetch(h.metricsUrl);
          assert.equal(res.status, 200);
          return res.text();
        },
      );
    } finally {
      await fake.close();
    }
  });

  const hookflowMetrics = (exprs: string[]) =>
    [...new Set(exprs.flatMap(metricNames))].filter((m) => m.startsWith('hookflow_')).sort();

  test('every metric of every alert rule', () => {
    const used = hookflowMetrics(rules.map((r) => String(r.expr)));
    assert.ok(used.length > 0);
    assert.deepEqual(missingFrom(exposition, used), [], 'metrics the alert rules use but /metrics lacks');
  });

  test('every metric of every dashboard panel (temporal_ SDK metrics aside)', () => {
    const used = hookflowMetrics(queries.map((q) => q.expr));
    assert.ok(used.length > 0);
    assert.deepEqual(missingFrom(exposition, used), [], 'metrics the dashboard uses but /metrics lacks');
  });

  test('the existence check itself: TYPE lines and histogram series', () => {
    const sample = [
      '# TYPE hookflow_a_total counter',
      'hookflow_a_total{x="1"} 0',
      '# TYPE hookflow_h_seconds histogram',
      'hookflow_h_seconds_bucket{le="+Inf"} 0',
    ].join('\n');
    assert.deepEqual(
      missingFrom(sample, ['hookflow_a_total', 'hookflow_h_seconds_bucket', 'hookflow_h_seconds_count']),
      [],
    );
    assert.deepEqual(missingFrom(sample, ['hookflow_a', 'hookflow_a_total_bucket', 'hookflow_b']), [
      'hookflow_a',
      'hookflow_a_total_bucket',
      'hookflow_b',
    ]);
  });
});

describe('prometheus.yml', () => {
  const jobs = prometheusConfig.scrape_configs;
  const staticTargets = jobs.flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets));

  test('scrapes the server on its metrics port and every worker replica on the worker metrics port', () => {
    const serverEnv = services['hookflow-server'].environment!;
    const metricsPort = String(serverEnv.HOOKFLOW_METRICS_PORT);
    const server = jobs.find((j) =>
      j.static_configs?.some((s) => s.targets.includes(`hookflow-server:${metricsPort}`)),
    );
    assert.ok(server, `a job scrapes hookflow-server:${metricsPort}`);
    assert.equal(server.metrics_path ?? '/metrics', '/metrics');
    assert.notEqual(metricsPort, String(serverEnv.PORT), 'metrics are not on the webhook port');
    // Loopback is the default: in compose, Prometheus scrapes from its own container.
    assert.equal(serverEnv.HOOKFLOW_METRICS_HOST, '0.0.0.0');
    assert.equal(services['hookflow-worker'].environment!.HOOKFLOW_METRICS_HOST, '0.0.0.0');
    assert.ok(
      !services['hookflow-server'].ports!.some((p) => p.endsWith(`:${metricsPort}`)),
      'the metrics port is not published to the host',
    );

    const worker = jobs.find((j) => j.dns_sd_configs?.some((d) => d.names.includes('hookflow-worker')));
    assert.ok(worker, 'a job finds the worker replicas by DNS');
    assert.equal(worker.metrics_path ?? '/metrics', '/metrics');
    const dns = worker.dns_sd_configs!.find((d) => d.names.includes('hookflow-worker'))!;
    assert.equal(dns.type ?? 'SRV', 'A', 'an A-record lookup: one target per replica');
    assert.equal(
      String(dns.port),
      String(services['hookflow-worker'].environment!.HOOKFLOW_WORKER_METRICS_PORT ?? 9464),
      "the port the workers' /metrics listens on",
    );
  });

  test('every scraped host is a compose service', () => {
    const hosts = [
      ...staticTargets.map((t) => t.split(':')[0]),
      ...jobs.flatMap((j) => (j.dns_sd_configs ?? []).flatMap((d) => d.names)),
    ];
    assert.deepEqual(
      hosts.filter((h) => !services[h]),
      [],
    );
  });

  test("scrapes the collector's own metrics and its Prometheus exporter", () => {
    const collector = readYaml<{ exporters: Record<string, { endpoint?: string }> }>(
      'observability/otel-collector/config.yaml',
    );
    const exporterPort = collector.exporters.prometheus?.endpoint?.split(':').at(-1);
    assert.ok(exporterPort, 'the collector has a prometheus exporter');
    assert.ok(staticTargets.includes(`otel-collector:${exporterPort}`));
    assert.ok(staticTargets.includes('otel-collector:8888'));
  });
});

describe('OpenTelemetry Collector config', () => {
  interface Pipeline {
    receivers: string[];
    processors?: string[];
    exporters: string[];
  }
  const config = readYaml<{
    receivers: Record<string, { protocols?: Record<string, { endpoint?: string }> }>;
    processors?: Record<string, unknown>;
    exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
    extensions?: Record<string, unknown>;
    service: {
      extensions?: string[];
      pipelines: Record<string, Pipeline>;
      telemetry?: {
        metrics?: { readers?: { pull?: { exporter?: { prometheus?: { host?: string; port?: number } } } }[] };
      };
    };
  }>('observability/otel-collector/config.yaml');

  test('is the file mounted into the collector', () => {
    const configPath = commandFlag('otel-collector', 'config');
    assert.ok(configPath, 'the collector is started with --config');
    assert.equal(
      hostPath('otel-collector', configPath),
      path.join(root, 'observability/otel-collector/config.yaml'),
    );
  });

  test('pipelines reference only defined receivers, processors and exporters', () => {
    const undefinedRefs: string[] = [];
    for (const [name, p] of Object.entries(config.service.pipelines)) {
      assert.ok(p.receivers.length > 0 && p.exporters.length > 0, `${name}: receivers and exporters`);
      for (const r of p.receivers) if (!(r in config.receivers)) undefinedRefs.push(`${name}: receiver ${r}`);
      for (const x of p.processors ?? [])
        if (!(x in (config.processors ?? {}))) undefinedRefs.push(`${name}: processor ${x}`);
      for (const e of p.exporters) if (!(e in config.exporters)) undefinedRefs.push(`${name}: exporter ${e}`);
    }
    for (const e of config.service.extensions ?? [])
      if (!(e in (config.extensions ?? {}))) undefinedRefs.push(`extension ${e}`);
    assert.deepEqual(undefinedRefs, []);
  });

  test('receives OTLP on every interface, where hookflow sends it', () => {
    const otlp = config.receivers.otlp?.protocols;
    assert.equal(otlp?.grpc?.endpoint, '0.0.0.0:4317');
    assert.equal(otlp?.http?.endpoint, '0.0.0.0:4318');
    for (const name of ['hookflow-server', 'hookflow-worker']) {
      const env = services[name].environment!;
      const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      assert.equal(endpoint.hostname, 'otel-collector', `${name} sends to the collector`);
      assert.ok(services[endpoint.hostname], 'a compose service');
      const port = env.OTEL_EXPORTER_OTLP_PROTOCOL === 'grpc' ? '4317' : '4318';
      assert.equal(endpoint.port, port, `${name}: the receiver port of ${env.OTEL_EXPORTER_OTLP_PROTOCOL}`);
    }
  });

  test('the traces pipeline ends at Jaeger, over OTLP', () => {
    const traces = config.service.pipelines.traces;
    assert.ok(traces, 'a traces pipeline');
    assert.deepEqual(traces.receivers, ['otlp']);
    assert.equal(traces.exporters.length, 1);
    const [exporterId] = traces.exporters;
    assert.equal(exporterId.split('/')[0], 'otlp', 'an OTLP exporter');
    const exporter = config.exporters[exporterId];
    assert.equal(exporter.endpoint, 'jaeger:4317');
    assert.equal(exporter.tls?.insecure, true, 'plain gRPC inside the compose network');
    assert.match(services.jaeger.image!, /^jaegertracing\/all-in-one:/);
    assert.equal(String(services.jaeger.environment!.COLLECTOR_OTLP_ENABLED), 'true');
    assert.ok(traces.processors?.includes('batch'), 'spans are batched');
  });

  test('serves its own metrics to other containers on 8888', () => {
    const prometheus = config.service.telemetry?.metrics?.readers?.[0]?.pull?.exporter?.prometheus;
    assert.deepEqual(prometheus, { host: '0.0.0.0', port: 8888 });
  });
});

describe('Grafana provisioning', () => {
  const grafanaDir = (containerPath: string) => hostPath('grafana', containerPath);

  test('provisioning is mounted where Grafana reads it', () => {
    assert.equal(
      grafanaDir('/etc/grafana/provisioning'),
      path.join(root, 'observability/grafana/provisioning'),
    );
  });

  test('data sources provide every uid the dashboard uses, Prometheus and Jaeger at their services', () => {
    const { datasources } = parse(
      readFileSync(grafanaDir('/etc/grafana/provisioning/datasources/datasources.yml')!, 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    const byUid = new Map(datasources.map((d) => [d.uid, d]));
    const used = panels.flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]);
    for (const d of used.filter((x) => x !== undefined)) {
      assert.equal(byUid.get(d.uid)?.type, d.type, `data source ${d.uid} of type ${d.type} is provisioned`);
    }
    assert.equal(byUid.get('prometheus')?.url, 'http://prometheus:9090');
    assert.equal(byUid.get('jaeger')?.type, 'jaeger');
    assert.equal(byUid.get('jaeger')?.url, 'http://jaeger:16686');
  });

  test('the dashboard provider reads the mounted folder that holds hookflow.json', () => {
    const { providers } = parse(
      readFileSync(grafanaDir('/etc/grafana/provisioning/dashboards/dashboards.yml')!, 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    const file = providers.find((p) => p.type === 'file');
    assert.ok(file, 'a file provider');
    const folder = grafanaDir(file.options.path);
    assert.equal(folder, path.dirname(dashboardFile), 'the provider path is the mounted dashboards folder');
    const home = services.grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home) assert.equal(grafanaDir(home), dashboardFile, 'the home dashboard is hookflow.json');
  });
});

describe('docker-compose.yml mounts', () => {
  test('every bind mount is a file or folder of the repository', () => {
    const mounts = Object.keys(services).flatMap((name) => bindMounts(name).map((m) => ({ name, ...m })));
    assert.ok(mounts.length >= 4, 'the observability services mount their configuration');
    assert.deepEqual(
      mounts.filter((m) => !existsSync(m.host)).map((m) => `${m.name}: ${path.relative(root, m.host)}`),
      [],
    );
    for (const m of mounts) {
      const isFile = statSync(m.host).isFile();
      assert.equal(
        isFile,
        path.extname(m.container) !== '',
        `${m.name}: ${m.container} is a file exactly when the repository side is one`,
      );
    }
  });
});
