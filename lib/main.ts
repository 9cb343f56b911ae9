// Shared by the entry points: print configuration problems as a list (not a stack trace), and turn
// SIGINT/SIGTERM into one orderly shutdown (a second Ctrl-C forces the exit).
import { ConfigError, type Config } from './config';

export function runMain(main: () => Promise<() => Promise<void>>): void {
  let shutdown: (() => Promise<void>) | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: stopping hookflow…\n`);
    void (shutdown ?? (() => Promise.resolve()))()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main()
    .then((stop) => {
      shutdown = stop;
    })
    .catch((err: unknown) => {
      process.stderr.write(
        err instanceof ConfigError
          ? `${err.message}\n`
          : `hookflow failed to start: ${String((err as Error)?.stack ?? err)}\n`,
      );
      process.exit(1);
    });
}

/** A server or worker running on its own needs a cluster and a shared database. */
export function requireSplitDeployment(config: Config, role: 'server' | 'worker'): string {
  const problems = [
    ...(config.temporal.address
      ? []
      : [`TEMPORAL_ADDRESS: required when the ${role} runs on its own (npm start runs a local Temporal)`]),
    ...(config.databaseUrl
      ? []
      : [
          'DATABASE_URL: required when server and worker run as separate processes (the embedded store is single-process)',
        ]),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return config.temporal.address!;
}
