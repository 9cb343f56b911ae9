// The Temporal SDK's runtime (its native connections and workers): its log lines go into
// hookflow's logger, and in a worker process its own worker metrics are served in Prometheus's
// format for `/metrics` to fold in.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
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
 * latencies, failures, with the `temporal_` prefix) there in Prometheus's format. Call once, before
 * any native connection.
 */
export function installTemporalRuntime(
  logger: Logger,
  level: string,
  metricsAddress?: string,
  /**
   * The signals on which the SDK shuts its workers down (its default: INT, TERM, QUIT, USR2); []
   * for a process without workers, which handles its signals itself.
   */
  shutdownSignals?: NodeJS.Signals[],
): void {
  const sdkLevel = LEVELS[level] ?? (level === 'silent' || level === 'fatal' ? 'ERROR' : 'INFO');
  Runtime.install({
    ...(shutdownSignals ? { shutdownSignals } : {}),
    logger: new DefaultLogger(sdkLevel, temporalLogFunction(logger)),
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

/**
 * Writes the SDK's log entries as hookflow log lines, their metadata as fields. hookflow's logger
 * writes an Error among them (the SDK passes one as `error`) with its message and stack, where
 * plain JSON would write `{}`.
 */
export function temporalLogFunction(logger: Logger): (entry: LogEntry) => void {
  const sdk = logger.child({ component: 'temporal-sdk' });
  return ({ level, message, meta }) => {
    const method = level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    sdk[method](meta ?? {}, message);
  };
}
