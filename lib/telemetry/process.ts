// What each hookflow process (server, worker, or both in one) sets up for telemetry at start: its
// tracer provider when OTEL_* asks for one, its metrics (pushed over OTLP too when asked), and for a
// process that runs a worker, the Temporal runtime (logging into hookflow's logger) with the SDK's own
// worker metrics folded into its `/metrics`.
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Defer } from '../main';
import { freePort } from '../net';
import { installTemporalRuntime } from '../temporal/runtime';
import { createMetrics, type Metrics } from './metrics';
import { startTracing, type Tracing } from './tracing';

export interface ProcessTelemetry {
  metrics: Metrics;
  tracing: Tracing | undefined;
}

export async function startProcessTelemetry(
  config: Pick<Config, 'telemetry' | 'logLevel'>,
  serviceName: string,
  defer: Defer,
  /** For a process that runs a worker: the Temporal runtime is installed, logging here. */
  worker?: { logger: Logger },
): Promise<ProcessTelemetry> {
  const tracing = startTracing(config.telemetry, serviceName);
  // Registered first, so it runs last: the spans of everything stopped before it are flushed.
  if (tracing) defer(() => tracing.shutdown());
  const m = config.telemetry.metrics;
  const metrics = createMetrics(config.telemetry.serviceName ?? serviceName, m.otlp ? m : undefined);
  defer(() => metrics.shutdown());
  if (worker) {
    const sdkMetrics = `127.0.0.1:${await freePort()}`;
    installTemporalRuntime(worker.logger, config.logLevel, sdkMetrics);
    const url = `http://${sdkMetrics}/metrics`;
    metrics.includeText(async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text());
  }
  return { metrics, tracing };
}
