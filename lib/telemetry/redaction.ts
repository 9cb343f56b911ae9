// What never leaves a hookflow process in a log line or a span: one policy, used by the logger and
// by the span processor alike, so a field hidden from one cannot reach the other. A value is hidden
// when its key names a secret or a personal field, and wherever a string holds something shaped like
// a credential or an email address (an ID, an action or a repository name echoed from a request can
// hold anything the sender put there).
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { stdSerializers } from 'pino';

export const CENSOR = '[redacted]';

/** Keys that name a secret or a personal field, anywhere in the key: such values are hidden whole. */
const SECRET_KEY = /authorization|token|secret|signature|password|private.?key|cookie|e-?mail|phone/i;
/** Values that look like credentials wherever they appear: GitHub tokens, bearer headers, JWTs, PEM keys. */
const SECRET_VALUE =
  /\bgh[pousr]_[A-Za-z0-9_-]{16,}|\bgithub_pat_[A-Za-z0-9_]{16,}|\bv1\.[0-9a-f]{40}\b|\b(?:Bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** No pattern above matches fewer characters (`a@b.cc`): shorter strings are not scanned. */
const SHORTEST_MATCH = 6;
/** Log fields nested deeper than this are written as they are (no log line of hookflow's goes near it). */
const MAX_DEPTH = 10;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `text` with every credential-shaped or email-shaped part replaced. */
export function redactText(text: string): string {
  if (text.length < SHORTEST_MATCH) return text;
  const scrubbed = text.replace(SECRET_VALUE, CENSOR);
  // Most strings (every span name and attribute) hold no '@': the email pattern, the costlier of
  // the two (it can start at every character), need not run over them.
  return scrubbed.includes('@') ? scrubbed.replace(EMAIL, CENSOR) : scrubbed;
}

/**
 * A copy of a log line's fields with the policy applied: secret-named keys censored, strings
 * scanned, at any depth. Errors, wherever they sit, become pino's serialized form first (type,
 * message and stack, causes included), so an `error` field is not written as `{}` (an Error's own
 * fields are not enumerable) and its message is scanned like any other string.
 */
export function redactLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactRecord(fields, 0, new WeakSet([fields]));
}

function redactRecord(
  record: Record<string, unknown>,
  depth: number,
  ancestors: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = record[key];
    out[key] = value !== undefined && isSecretKey(key) ? CENSOR : redactLogValue(value, depth + 1, ancestors);
  }
  return out;
}

function redactLogValue(value: unknown, depth: number, ancestors: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (ancestors.has(value)) return '[Circular]';
  const proto = Object.getPrototypeOf(value) as unknown;
  const isError = value instanceof Error;
  // Class instances (Dates, Buffers, URLs) are written by their own toJSON, not walked.
  if (!isError && !Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactLogValue(v, depth + 1, ancestors));
    const record = isError ? { ...(stdSerializers.err(value) as object) } : value;
    return redactRecord(record as Record<string, unknown>, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

/**
 * Span attributes with the policy applied: secret-named attributes dropped, strings scanned. The
 * same object when nothing needed hiding (most spans), so a clean span is passed on as it is.
 */
export function redactAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  let changed = false;
  for (const [k, v] of Object.entries(attributes)) {
    if (isSecretKey(k)) {
      changed = true;
      continue;
    }
    const clean = redactAttributeValue(v);
    if (clean !== undefined) out[k] = clean;
    changed ||= !sameValue(clean, v);
  }
  return changed ? out : attributes;
}

function sameValue(a: AttributeValue | undefined, b: unknown): boolean {
  if (a === b) return true;
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function redactAttributeValue(v: unknown): AttributeValue | undefined {
  if (typeof v === 'string') return redactText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (
    Array.isArray(v) &&
    v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
  )
    return v.map((x) => (typeof x === 'string' ? redactText(x) : x)) as AttributeValue;
  // Objects are not valid attribute values (the workflow sink adds some: memo, search attributes).
  return undefined;
}
