// Structured logs (pino). Every line written inside a span carries its trace and span IDs, and every
// line of an activity's work carries its delivery (or workflow), activity and attempt, so a log line
// leads to its trace and its delivery. Every field, the message and the child bindings pass through
// the redaction policy that spans pass through too (telemetry/redaction.ts). Errors go under `err`,
// written with their type, message and stack, causes included.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { redactLogFields, redactText } from './telemetry/redaction';
import { workContext } from './telemetry/work-context';

export type { Logger };

/** Trace and work context for the line being written; nothing outside a span or an activity. */
function correlation(): Record<string, unknown> {
  const span = trace.getActiveSpan()?.spanContext();
  const work = workContext.current();
  return {
    ...(span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {}),
    ...(work
      ? {
          ...(work.delivery ? { delivery: work.delivery } : { workflowId: work.workflowId }),
          activity: work.activity,
          attempt: work.attempt,
        }
      : {}),
  };
}

/**
 * A logger writing to `destination` (stdout when omitted; see telemetry/log-output.ts for the
 * readable form on a terminal).
 */
export function createLogger(level: string, name = 'hookflow', destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      name,
      level,
      mixin: correlation,
      formatters: {
        // Runs on every line (mixin fields included) before pino's serializers; errors are
        // serialized here already, so the `err` serializer below only passes them on.
        log: redactLogFields,
      },
      serializers: {
        err: (value: unknown) => (value instanceof Error ? redactLogFields({ err: value }).err : value),
        // The message, printf arguments and `logger.error(err)`'s message included.
        msg: (value: unknown) => (typeof value === 'string' ? redactText(value) : value),
      },
    },
    destination,
  );
  // A child's bindings (a delivery ID, say) are written once, at `child()`, past every formatter a
  // child inherits, so they are redacted here. Children inherit this `child` through their prototype.
  type Child = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  const inherited = Object.getPrototypeOf(logger) as { child: Child };
  const redactingChild: Child = function (bindings, options) {
    return inherited.child.call(this, redactLogFields(bindings), options);
  };
  logger.child = redactingChild as unknown as Logger['child'];
  return logger;
}
