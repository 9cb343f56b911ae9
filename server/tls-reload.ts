// Certificate renewals without a restart: the certificate and key files are checked for a change
// every `intervalMs` (fs.watchFile polls, which also sees a file replaced by a rename, as ACME
// clients do), and a pair that loads is served to every new connection from then on
// (tls.Server#setSecureContext). A pair that does not load — the key written before the
// certificate, say — keeps the one in use, and the next change is tried again.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type https from 'node:https';
import type { Logger } from '../lib/logger';

export function reloadCertificates(
  server: https.Server,
  files: { certPath: string; keyPath: string },
  intervalMs: number,
  logger: Logger,
): () => void {
  const reload = () => {
    try {
      server.setSecureContext({ cert: readFileSync(files.certPath), key: readFileSync(files.keyPath) });
      logger.info({ cert: files.certPath }, 'TLS certificate reloaded');
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
  return () => {
    for (const { file, listener } of watched) unwatchFile(file, listener);
  };
}
