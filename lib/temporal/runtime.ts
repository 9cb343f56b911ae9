import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/**
 * Routes the Temporal SDK's own log lines into hookflow's JSON logger. With `metricsAddress`
 * (`host:port`), the SDK also serves its worker metrics (task slots, poll and schedule-to-start
 * latencies, failures, with the `temporal_` prefix) there in Prometheus's format. Call once, before any worker.
 */
export function installTemporalRuntime(logger: Logger, level: string, metricsAddress?: string): void {
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
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
}
