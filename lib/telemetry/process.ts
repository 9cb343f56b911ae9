// What each hookflow process (server, worker, or both in one) sets up for telemetry at start: its
// tracer provider when OTEL_* asks for one, its metrics (pushed over OTLP too when asked), and for a
// process that runs a worker, the Temporal SDK's own worker metrics folded into its `/metrics`.
import type { Config } from '../config';
import type { Defer } from '../main';
import { freePort } from '../net';
import { createMetrics, type Metrics } from './metrics';
import { startTracing, type Tracing } from './tracing';

export interface ProcessTelemetry {
  metrics: Metrics;
  tracing: Tracing | undefined;
  /** Where the Temporal SDK serves its metrics, for `installTemporalRuntime`; undefined for a server. */
  sdkMetricsAddress: string | undefined;
}

export async function startProcessTelemetry(
  config: Config,
  serviceName: string,
  defer: Defer,
  runsWorker: boolean,
): Promise<ProcessTelemetry> {
  const tracing = startTracing(config.telemetry, serviceName);
  // Registered first, so it runs last: the spans of everything stopped before it are flushed.
  if (tracing) defer(() => tracing.shutdown());
  const m = config.telemetry.metrics;
  const metrics = createMetrics(config.telemetry.serviceName ?? serviceName, m.otlp ? m : undefined);
  defer(() => metrics.shutdown());
  let sdkMetricsAddress: string | undefined;
  if (runsWorker) {
    sdkMetricsAddress = `127.0.0.1:${await freePort()}`;
    const url = `http://${sdkMetricsAddress}/metrics`;
    metrics.includeText(async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text());
  }
  return { metrics, tracing, sdkMetricsAddress };
}
