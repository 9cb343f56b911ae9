// Traces on the OpenTelemetry trace SDK 1.x, the line Temporal's 1.24 interceptors are built
// on. One tracer provider per process, registered globally (with the AsyncLocalStorage context
// manager and the W3C propagator), exporting where the OTEL_* variables say. Every span, the
// workflow spans that arrive through the worker's sink included, passes through one redacting
// processor before any exporter sees it; it applies the same redaction policy as the logger.
import { SpanStatusCode, trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { redactAttributes, redactText } from './redaction';
import { serviceResource } from './resource';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span as SdkSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { OtlpProtocol, TelemetryConfig } from '../config';

export interface Tracing {
  resource: Resource;
  /** Where the worker's workflow-span sink delivers (it bypasses the tracer). */
  spanProcessor: SpanProcessor;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The tracer for hookflow's own spans; a no-op until a provider is registered. */
export const tracer = () => trace.getTracer('hookflow');

/**
 * A view of `span` with secrets removed from its attributes, events and status; the span itself
 * when nothing in it needed hiding (most spans: the view costs an allocation and slower reads).
 */
function redacted(span: ReadableSpan): ReadableSpan {
  const name = redactText(span.name);
  const attributes = redactAttributes(span.attributes);
  let eventsChanged = false;
  const events = span.events.map((e) => {
    const clean = e.attributes && redactAttributes(e.attributes);
    if (clean === e.attributes) return e;
    eventsChanged = true;
    return { ...e, attributes: clean };
  });
  const message = span.status.message && redactText(span.status.message);
  if (
    name === span.name &&
    attributes === span.attributes &&
    !eventsChanged &&
    message === span.status.message
  ) {
    return span;
  }
  return Object.create(span, {
    name: { value: name },
    attributes: { value: attributes },
    events: { value: eventsChanged ? events : span.events },
    status: { value: message === span.status.message ? span.status : { ...span.status, message } },
  }) as ReadableSpan;
}

class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor[]) {}
  onStart(span: SdkSpan, parent: Context): void {
    for (const p of this.next) p.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    const clean = redacted(span);
    for (const p of this.next) p.onEnd(clean);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.next.map((p) => p.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.next.map((p) => p.shutdown()));
  }
}

/** The OTLP trace exporter for a protocol; each reads its endpoint and headers from OTEL_* itself. */
function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  if (protocol === 'grpc') return new GrpcTraceExporter();
  if (protocol === 'http/json') return new JsonTraceExporter();
  return new ProtoTraceExporter();
}

/**
 * Starts tracing for this process when the configuration (or a test's own exporter) asks for it;
 * undefined means off: no provider is registered and spans cost nothing but a no-op call.
 */
export function startTracing(
  config: TelemetryConfig,
  defaultServiceName: string,
  /** A test's exporter, exported span by span (no batching) so a test sees spans at once. */
  testExporter?: SpanExporter,
): Tracing | undefined {
  const processors: SpanProcessor[] = config.traces.exporters.map((name) =>
    name === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(otlpExporter(config.traces.protocol)),
  );
  if (testExporter) processors.push(new SimpleSpanProcessor(testExporter));
  if (processors.length === 0) return undefined;
  const resource = serviceResource(config.serviceName ?? defaultServiceName);
  const spanProcessor = new RedactingSpanProcessor(processors);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    resource,
    spanProcessor,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Runs `fn` in a new active span, ended whatever happens. A thrown error marks the span as failed
 * unless `benign` says it is not an error (a rate-limit wait), and is recorded as an event then.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  benign: (err: unknown) => boolean = () => false,
): Promise<T> {
  return tracer().startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      if (benign(err)) {
        span.addEvent('wait', { 'exception.message': (err as Error).message });
      } else {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      }
      throw err;
    } finally {
      span.end();
    }
  });
}
