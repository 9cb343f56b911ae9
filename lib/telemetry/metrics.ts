// hookflow's metrics (O2), on the OpenTelemetry metrics SDK (the 1.x line that Temporal's OTel
// interceptors are built on), exposed in Prometheus's text format on `/metrics`.
import http from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { Resource } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** Why a delivery was refused, from the status the front door answered: a short, fixed set of labels. */
const REFUSALS: Record<number, string> = {
  400: 'malformed',
  401: 'signature',
  403: 'installation',
  405: 'method',
  408: 'timeout',
  413: 'too-large',
  415: 'content-type',
  503: 'storage-unavailable',
};

export function createMetrics(serviceName: string) {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: new Resource({ 'service.name': serviceName }),
    readers: [exporter],
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
  const serializer = new PrometheusSerializer();

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

    /** Deliveries waiting in the outbox for Temporal, read from storage at each scrape. */
    observeOutboxDepth(read: () => Promise<number>) {
      meter
        .createObservableGauge('hookflow_outbox_depth', {
          description: 'Deliveries waiting in the outbox for Temporal',
        })
        .addCallback(async (result) => {
          try {
            result.observe(await read());
          } catch {
            // storage unreachable: no sample rather than a wrong one
          }
        });
    },

    /** The Prometheus text exposition of every metric. */
    async render(): Promise<string> {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
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
