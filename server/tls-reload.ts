// Certificate renewals without a restart: the certificate and key files are checked for a change
// every `intervalMs` (fs.watchFile polls, which also sees a file replaced by a rename, as ACME
// clients do), and a pair that loads is served to every new connection from then on
// (tls.Server#setSecureContext). A pair that does not load — the key written before the
// certificate, say — keeps the one in use, and the next change is tried again. The certificate in use
// is checked for its expiry at start and at each reload (a warning two weeks ahead, an error once
// expired), and its end is a metric to alert on.
import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type https from 'node:https';
import type { Logger } from '../lib/logger';

const WARN_AHEAD_MS = 14 * 86_400_000;

/** When the certificate (the first of a chain) stops being valid; undefined when it cannot be read. */
function validUntil(cert: Buffer): Date | undefined {
  try {
    const end = new Date(new X509Certificate(cert).validTo);
    return Number.isNaN(end.getTime()) ? undefined : end;
  } catch {
    return undefined;
  }
}

/** Says so when the certificate in use has expired or is about to. */
function checkExpiry(end: Date | undefined, certPath: string, logger: Logger, now: number): void {
  if (end === undefined) return;
  const left = end.getTime() - now;
  if (left <= 0)
    logger.error(
      { cert: certPath, validTo: end.toISOString() },
      'TLS certificate has expired: GitHub refuses to deliver over it; renew it (it is reloaded without a restart)',
    );
  else if (left < WARN_AHEAD_MS)
    logger.warn(
      { cert: certPath, validTo: end.toISOString(), days: Math.floor(left / 86_400_000) },
      'TLS certificate expires soon: renew it (it is reloaded without a restart)',
    );
}

export interface CertificateReloader {
  /** When the certificate in use stops being valid (undefined when it cannot be read). */
  validUntil(): Date | undefined;
  stop(): void;
}

export function reloadCertificates(
  server: https.Server,
  files: { cert: Buffer; certPath: string; keyPath: string },
  intervalMs: number,
  logger: Logger,
  now: () => number = Date.now,
): CertificateReloader {
  let end = validUntil(files.cert);
  checkExpiry(end, files.certPath, logger, now());
  const reload = () => {
    try {
      const cert = readFileSync(files.certPath);
      server.setSecureContext({ cert, key: readFileSync(files.keyPath) });
      logger.info({ cert: files.certPath }, 'TLS certificate reloaded');
      end = validUntil(cert);
      checkExpiry(end, files.certPath, logger, now());
    } catch (err) {
      logger.warn(
        { err, cert: files.certPath },
        'TLS certificate or key changed but does not load: the one in use is kept',
      );
    }
  };
  // Node calls a watchFile listener only when the file's stat changed (a chmod after a failed read
  // included). Each listener is removed alone: another server in this process may watch the same files.
  const watched = [files.certPath, files.keyPath].map((file) => {
    const listener = () => reload();
    watchFile(file, { interval: intervalMs, persistent: false }, listener);
    return { file, listener };
  });
  return {
    validUntil: () => end,
    stop() {
      for (const { file, listener } of watched) unwatchFile(file, listener);
    },
  };
}
