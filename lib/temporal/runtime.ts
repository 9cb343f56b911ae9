import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/** Routes the Temporal SDK's own log lines into hookflow's JSON logger. Call once, before any worker. */
export function installTemporalRuntime(logger: Logger, level: string): void {
  const sdkLevel = LEVELS[level] ?? (level === 'silent' || level === 'fatal' ? 'ERROR' : 'INFO');
  const sdk = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const { message, meta } = entry;
      const method =
        entry.level === 'TRACE'
          ? 'trace'
          : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      sdk[method](meta ?? {}, message);
    }),
  });
}
