// One file though over 300 lines: every metric hookflow exposes is declared here, with its help
// text and recording method, so /metrics has one list to read and alert rules one place to match.
// hookflow's metrics, on the OpenTelemetry metrics SDK (the 1.x line that Temporal's OTel
// interceptors are built on), exposed in Prometheus's text format on `/metrics`.
import http from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { OtlpProtocol } from '../config';
import { serviceResource } from './resource';
import { createScrapeGauges, type Budget } from './scrape-gauges';

export { MAX_BUDGET_SERIES } from './scrape-gauges';

/** Metrics pushed over OTLP as well (OTEL_METRICS_EXPORTER=otlp, or an OTLP endpoint set). */
export interface MetricExport {
  protocol: OtlpProtocol;
  intervalMs: number;
}

function otlpMetricExporter(protocol: OtlpProtocol): PushMetricExporter {
  if (protocol === 'grpc') return new GrpcMetricExporter();
  if (protocol === 'http/json') return new JsonMetricExporter();
  return new ProtoMetricExporter();
}

/** Why a delivery was refused, from the status the front door answered: a short, fixed set of labels. */
const REFUSALS: Record<number, string> = {
  400: 'malformed',
  401: 'signature',
  403: 'installation',
  405: 'method',
  408: 'timeout',
  409: 'old-secret-ping',
  413: 'too-large',
  415: 'content-type',
  503: 'storage-unavailable',
};

const REPLAY_RESULTS = ['started', 'refused', 'completed', 'failed'] as const;
type ReplayResult = (typeof REPLAY_RESULTS)[number];

export function createMetrics(serviceName: string, otlp?: MetricExport, sourceDeadlineMs?: number) {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: serviceResource(serviceName),
    readers: [
      exporter,
      ...(otlp
        ? [
            new PeriodicExportingMetricReader({
              exporter: otlpMetricExporter(otlp.protocol),
              exportIntervalMillis: otlp.intervalMs,
            }),
          ]
        : []),
    ],
  });
  const meter = provider.getMeter('hookflow');
  const deliveries = meter.createCounter('hookflow_deliveries', {
    description: 'Webhook deliveries answered by the front door, by outcome, reason and event',
  });
  const ackDuration = meter.createHistogram('hookflow_ack_duration_seconds', {
    description: 'Time from a delivery request to its answer',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const apiRequests = meter.createCounter('hookflow_api_requests', {
    description: 'Calls to the provider API, by route template, method and status class (network: no answer)',
  });
  const apiDuration = meter.createHistogram('hookflow_api_request_duration_seconds', {
    description: 'Provider API call latency, pacing waits included',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const rateLimitWaits = meter.createCounter('hookflow_api_rate_limit_waits', {
    description: 'Rate-limit waits asked for by the provider or by hookflow pacing, by kind',
  });
  const tokenRefreshes = meter.createCounter('hookflow_token_refreshes', {
    description: 'Installation token refreshes, by result',
  });
  const syncItems = meter.createCounter('hookflow_sync_items', {
    description: 'Items stored by repository sync jobs, by kind (issues, pulls, comments)',
  });
  const retries = meter.createCounter('hookflow_api_retries', {
    description: 'Activity attempts that failed and will be retried, by reason',
  });
  const authFailures = meter.createCounter('hookflow_api_auth_failures', {
    description:
      'API calls refused for their credentials even after a token refresh: 401 (unauthorized), or 403 without a rate limit (forbidden)',
  });
  const syncJobs = meter.createCounter('hookflow_sync_jobs', {
    description: 'Repository sync jobs finished, by result',
  });
  const deliveryWorkflows = meter.createCounter('hookflow_delivery_workflows', {
    description: 'Delivery workflows finished, by outcome',
  });
  const oldSecretDeliveries = meter.createCounter('hookflow_old_secret_deliveries', {
    description:
      "Deliveries verified by one of a source's older secrets during a rotation (a sender not yet using the new one), by source",
  });
  const rotations = meter.createCounter('hookflow_secret_rotations', {
    description: 'Hook secret rotations that ended, by result (confirmed, unconfirmed, failed)',
  });
  const addressRefusals = meter.createCounter('hookflow_address_refusals', {
    description:
      'Deliveries refused by the source-address allow-list before anything was read, by reason (not-allowed, no-list, bad-forwarded-for)',
  });
  const allowListRefreshes = meter.createCounter('hookflow_allowlist_refreshes', {
    description: "Refreshes of the source-address allow-list (GitHub's GET /meta), by result (ok, failed)",
  });
  const deadLetters = meter.createCounter('hookflow_dead_letters', {
    description: 'Deliveries whose workflow start Temporal kept refusing, given up as dead (replayable)',
  });
  const replays = meter.createCounter('hookflow_replays', {
    description:
      'Replays: runs started by bulk replay jobs, deliveries they refused, and replayed runs (single or bulk) that ended, by result',
  });
  const reconcileMissed = meter.createCounter('hookflow_reconcile_missed', {
    description: "Deliveries found in GitHub's delivery log that hookflow never received (none delivered OK)",
  });
  const reconcileRedelivered = meter.createCounter('hookflow_reconcile_redelivered', {
    description: 'Missed deliveries hookflow asked GitHub to send again, and GitHub accepted the request',
  });
  const reconcileUnrecoverable = meter.createCounter('hookflow_reconcile_unrecoverable', {
    description:
      "Missed deliveries past GitHub's redelivery window (expired), and passes that found the log no longer reaching back to the last one (gap)",
  });
  // Series an alert watches exist from the start, at zero: an alert on `increase()` needs a first sample.
  for (const result of ['ok', 'failed']) tokenRefreshes.add(0, { result });
  for (const reason of ['unauthorized', 'forbidden']) authFailures.add(0, { reason });
  for (const result of ['completed', 'failed']) syncJobs.add(0, { result });
  for (const outcome of ['completed', 'failed']) deliveryWorkflows.add(0, { outcome });
  for (const reason of ['server_error', 'rate_limited', 'busy', 'other']) retries.add(0, { reason });
  for (const kind of ['pacing', 'primary', 'secondary', 'retry-after', 'busy'])
    rateLimitWaits.add(0, { kind });
  for (const kind of ['issues', 'pulls', 'comments']) syncItems.add(0, { kind });
  deadLetters.add(0);
  for (const result of REPLAY_RESULTS) replays.add(0, { result });
  reconcileMissed.add(0);
  reconcileRedelivered.add(0);
  for (const reason of ['expired', 'gap']) reconcileUnrecoverable.add(0, { reason });

  // Gauges are written as text at each scrape, not kept by the SDK: scrape-gauges.ts says why.
  const gauges = createScrapeGauges(sourceDeadlineMs);
  const serializer = new PrometheusSerializer();
  const texts: (() => Promise<string>)[] = [];

  return {
    meter,

    /**
     * One answered delivery. `event` is labelled only for answers after the signature was checked
     * (2xx), so an outsider cannot create label values; it must look like a GitHub event name.
     */
    recordDelivery(a: {
      status: number;
      outcome: string | undefined;
      event: string | undefined;
      seconds: number;
    }) {
      const verified = a.status < 300 && a.event !== undefined && /^[a-z_]{1,40}$/.test(a.event);
      const event = verified ? a.event! : 'unknown';
      if (a.status < 300) {
        deliveries.add(1, {
          outcome: a.outcome === 'ok' ? 'ping' : (a.outcome ?? 'answered'),
          event,
        });
      } else {
        deliveries.add(1, { outcome: 'rejected', reason: REFUSALS[a.status] ?? 'error', event });
      }
      ackDuration.record(a.seconds);
    },

    /** One provider API call; `status` undefined means no answer (network error, timeout). */
    recordApiCall(c: { route: string; method: string; status: number | undefined; seconds: number }) {
      const statusClass = c.status === undefined ? 'network' : `${Math.floor(c.status / 100)}xx`;
      apiRequests.add(1, { route: c.route, method: c.method, status_class: statusClass });
      apiDuration.record(c.seconds, { route: c.route, method: c.method });
    },

    recordRateLimitWait(kind: string) {
      rateLimitWaits.add(1, { kind });
    },

    recordTokenRefresh(result: 'ok' | 'failed') {
      tokenRefreshes.add(1, { result });
    },

    recordSyncItems(kind: string, n: number) {
      if (n > 0) syncItems.add(n, { kind });
    },

    recordRetry(reason: string) {
      retries.add(1, { reason });
    },

    recordAuthFailure(reason: 'unauthorized' | 'forbidden') {
      authFailures.add(1, { reason });
    },

    recordBudget(b: Budget) {
      gauges.recordBudget(b);
    },

    recordSyncJob(result: 'completed' | 'failed') {
      syncJobs.add(1, { result });
    },

    recordDeliveryWorkflow(outcome: 'completed' | 'failed') {
      deliveryWorkflows.add(1, { outcome });
    },

    /** A delivery verified by an older secret of its source (`github`, `github:hook:123`). */
    recordOldSecretDelivery(source: string) {
      oldSecretDeliveries.add(1, { source });
    },

    recordSecretRotation(result: 'confirmed' | 'unconfirmed' | 'failed') {
      rotations.add(1, { result });
    },

    recordAddressRefusal(reason: 'not-allowed' | 'no-list' | 'bad-forwarded-for') {
      addressRefusals.add(1, { reason });
    },

    recordAllowListRefresh(result: 'ok' | 'failed') {
      allowListRefreshes.add(1, { result });
    },

    /** A delivery given up as dead: Temporal refused its start (not an outage) too many times. */
    recordDeadLetter() {
      deadLetters.add(1);
    },

    recordReplay(result: ReplayResult) {
      replays.add(1, { result });
    },

    recordReconcileMissed(n: number) {
      if (n > 0) reconcileMissed.add(n);
    },

    recordReconcileRedelivered(n: number) {
      if (n > 0) reconcileRedelivered.add(n);
    },

    recordReconcileUnrecoverable(reason: 'expired' | 'gap', n: number) {
      if (n > 0) reconcileUnrecoverable.add(n, { reason });
    },

    /** Sync jobs running now, read (from Temporal's visibility) at each scrape. */
    observeSyncJobsRunning(read: () => Promise<number>) {
      gauges.observe('hookflow_sync_jobs_running', 'Repository sync jobs running', read);
    },

    /** More Prometheus text for `/metrics`, such as the Temporal SDK's own worker metrics. */
    includeText(read: () => Promise<string>) {
      texts.push(read);
    },

    /** Deliveries waiting in the outbox for Temporal, read from storage at each scrape. */
    observeOutboxDepth(read: () => Promise<number>) {
      gauges.observe('hookflow_outbox_depth', 'Deliveries waiting in the outbox for Temporal', read);
    },

    /** When the served TLS certificate stops being valid, in Unix seconds (alert well before). */
    observeCertificateExpiry(read: () => Promise<number>) {
      gauges.observe(
        'hookflow_tls_certificate_expiry_timestamp_seconds',
        'When the TLS certificate the server presents stops being valid (Unix seconds)',
        read,
      );
    },

    /** The Prometheus text exposition of every metric. */
    async render(): Promise<string> {
      const { resourceMetrics } = await exporter.collect();
      const extra = await Promise.all(texts.map((read) => read().catch(() => '')));
      // Every line, the last included, ends with a line feed, as the text format requires.
      return [serializer.serialize(resourceMetrics), await gauges.text(), ...extra]
        .filter(Boolean)
        .map((part) => (part.endsWith('\n') ? part : `${part}\n`))
        .join('');
    },

    shutdown: () => provider.shutdown(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A bare `/metrics` endpoint, for a worker process that has no HTTP server of its own. */
export async function serveMetrics(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
