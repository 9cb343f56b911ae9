// What the standard OTEL_* variables ask of hookflow's telemetry, as the processes use it.
// Specification: https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
import type { OtlpProtocol, ParsedEnv } from '../env-schema';

export interface TelemetryConfig {
  /** OTEL_SERVICE_NAME; each process has its own default (hookflow-server, hookflow-worker, hookflow). */
  serviceName: string | undefined;
  traces: { exporters: ('otlp' | 'console')[]; protocol: OtlpProtocol };
  metrics: { otlp: boolean; protocol: OtlpProtocol; intervalMs: number };
}

/**
 * Traces go out when OTEL_TRACES_EXPORTER names an exporter, or when an OTLP endpoint is set and
 * OTEL_TRACES_EXPORTER is unset; likewise metrics over OTLP. With nothing set, nothing is exported
 * (the Prometheus `/metrics` endpoints are always there). The protocol defaults to http/protobuf.
 */
export function telemetryConfig(e: ParsedEnv): TelemetryConfig {
  const on = (list: string[] | undefined, endpoint: string | undefined) =>
    e.OTEL_SDK_DISABLED ? [] : (list ?? (endpoint !== undefined ? ['otlp'] : []));
  const traces = on(
    e.OTEL_TRACES_EXPORTER,
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT,
  ).filter((x): x is 'otlp' | 'console' => x === 'otlp' || x === 'console');
  const metrics = on(
    e.OTEL_METRICS_EXPORTER,
    e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT,
  );
  const protocol = e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return {
    serviceName: e.OTEL_SERVICE_NAME,
    traces: { exporters: [...new Set(traces)], protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? protocol },
    metrics: {
      otlp: metrics.includes('otlp'),
      protocol: e.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? protocol,
      intervalMs: e.OTEL_METRIC_EXPORT_INTERVAL,
    },
  };
}
