// Structured JSON logs (pino). Every line written inside a span carries its trace and span IDs, and
// every line of an activity's work carries its delivery (or workflow), activity and attempt (O3).
// Signatures, secrets, tokens, keys and personal fields are redacted wherever they appear under
// these keys.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { workContext } from './telemetry/work-context';

export type { Logger };

/** Keys whose values never reach a log line, at the top level or one level down. */
export const REDACTED_KEYS = [
  'secret',
  'secrets',
  'token',
  'authorization',
  'signature',
  'password',
  'privateKey',
  'private_key',
  'email',
  'phone',
];

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

export function createLogger(level: string, name = 'hookflow', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      mixin: correlation,
      redact: {
        paths: [
          ...REDACTED_KEYS,
          ...REDACTED_KEYS.map((k) => `*.${k}`),
          'headers.authorization',
          'headers["x-hub-signature"]',
          'headers["x-hub-signature-256"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
