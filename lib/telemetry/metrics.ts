// hookflow's metrics (O2), on the OpenTelemetry metrics SDK (the 1.x line that Temporal's OTel
// interceptors are built on), exposed in Prometheus's text format on `/metrics`.
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

    /** The Prometheus text exposition of every metric. */
    async render(): Promise<string> {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },

    shutdown: () => provider.shutdown(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
