// HMAC signatures of the raw body, as GitHub signs deliveries
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). Compare lengths
// first, then `crypto.timingSafeEqual`, as octokit/webhooks-methods does; several secrets may be valid
// at once during a rotation.
import { createHmac, timingSafeEqual } from 'node:crypto';

type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface SignatureScheme {
  algorithm: HmacAlgorithm;
  /** Text before the digest, e.g. `sha256=`. */
  prefix: string;
  encoding: 'hex' | 'base64';
}

export const GITHUB_SHA256: SignatureScheme = { algorithm: 'sha256', prefix: 'sha256=', encoding: 'hex' };
export const GITHUB_SHA1: SignatureScheme = { algorithm: 'sha1', prefix: 'sha1=', encoding: 'hex' };

export function sign(scheme: SignatureScheme, secret: string, body: Buffer | string): string {
  return scheme.prefix + createHmac(scheme.algorithm, secret).update(body).digest(scheme.encoding);
}

export type VerifyResult = 'valid' | 'malformed' | 'mismatch';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** Checks `header` against every secret; `malformed` when it cannot be a signature of this scheme at all. */
export function verifySignature(
  scheme: SignatureScheme,
  secrets: readonly string[],
  body: Buffer,
  header: string,
): VerifyResult {
  if (!header.startsWith(scheme.prefix)) return 'malformed';
  const encoded = header.slice(scheme.prefix.length);
  const pattern = scheme.encoding === 'hex' ? /^[0-9a-fA-F]+$/ : /^[A-Za-z0-9+/]+={0,2}$/;
  if (!pattern.test(encoded)) return 'malformed';
  const given = Buffer.from(encoded, scheme.encoding);
  if (given.length !== DIGEST_BYTES[scheme.algorithm]) return 'malformed';
  // Buffer.from drops a trailing odd hex digit and ignores base64 padding bits: only the canonical
  // encoding of the digest counts as a signature.
  const canonical = given.toString(scheme.encoding);
  if (scheme.encoding === 'hex' ? canonical !== encoded.toLowerCase() : canonical !== encoded)
    return 'malformed';
  let ok = false;
  // Every secret is tried, even after a match, so timing does not tell which one matched.
  for (const secret of secrets) {
    const expected = createHmac(scheme.algorithm, secret).update(body).digest();
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok ? 'valid' : 'mismatch';
}
