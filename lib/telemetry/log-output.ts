// Where log lines go: JSON lines for machines (a log collector, `docker compose logs`, a pipe), or
// readable lines (pino-pretty) for a person at a terminal. LOG_FORMAT chooses; unset, a terminal
// gets readable lines and anything else gets JSON.
import type { DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LogFormat } from '../config';

export function chooseLogFormat(configured: LogFormat | undefined, stdoutIsTTY: boolean): LogFormat {
  return configured ?? (stdoutIsTTY ? 'pretty' : 'json');
}

/**
 * The destination for `createLogger`: undefined (pino's own JSON writer to stdout) or a readable
 * one. Lines are prettified synchronously, as pino writes them, so a line logged just before the
 * process exits is not lost in a stream's buffer.
 */
export function logDestination(
  configured: LogFormat | undefined,
  out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stdout,
): DestinationStream | undefined {
  if (chooseLogFormat(configured, out.isTTY === true) === 'json') return undefined;
  const prettify = prettyFactory({
    colorize: out.isTTY === true,
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
  });
  return { write: (line: string) => void out.write(prettify(line)) };
}
