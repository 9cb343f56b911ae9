// Structured JSON logs (pino). Every delivery's lines come from a child logger carrying its
// delivery key; signatures and secrets are redacted wherever they appear under these keys.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'hookflow', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: [
          'secret',
          'secrets',
          'token',
          'authorization',
          'headers.authorization',
          'headers["x-hub-signature"]',
          'headers["x-hub-signature-256"]',
          '*.secret',
          '*.secrets',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
