// Shared by the entry points: print configuration problems as a list (not a stack trace), and turn
// SIGINT/SIGTERM into one orderly shutdown (a second Ctrl-C forces the exit).
import { inspect } from 'node:util';
import { AppLoadError } from '../app/load-app';
import { ConfigError } from './config';

/** Registers how to release something just acquired; releases run in reverse order. */
export type Defer = (release: () => Promise<void> | void) => void;

/**
 * Runs an entry point. Whatever `main` acquired is released, in reverse order, on SIGINT/SIGTERM
 * and also when start-up fails half-way (a dev server already started must not outlive it). Each
 * release runs even if an earlier one failed.
 */
export function runMain(main: (defer: Defer) => Promise<void>): void {
  const releases: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const releaseAll = async (): Promise<boolean> => {
    let ok = true;
    for (const release of releases.splice(0).reverse()) {
      try {
        await release();
      } catch (err) {
        ok = false;
        process.stderr.write(`error while stopping: ${inspect(err)}\n`);
      }
    }
    return ok;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\n${signal}: stopping hookflow…\n`);
    void releaseAll().then((ok) => process.exit(ok ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A user's handler that forgets an `await` (a request whose failure nobody waits for) must not
  // bring down the worker and every activity it runs: said, not fatal.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled promise rejection (an un-awaited call?): ${inspect(reason)}\n`);
  });
  main((release) => void releases.push(release)).catch(async (err: unknown) => {
    process.stderr.write(
      err instanceof ConfigError
        ? `${err.message}\n`
        : // The app's own problem, said in one line (its cause, a syntax error say, is in the message).
          err instanceof AppLoadError
          ? `hookflow failed to start: ${err.message}\n`
          : // inspect() writes the stack, the error's own fields and its causes, each with its stack.
            `hookflow failed to start: ${inspect(err)}\n`,
    );
    if (!stopping) await releaseAll();
    process.exit(1);
  });
}
