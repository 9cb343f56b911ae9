// Keeps `npm start`'s Temporal dev server running: when it exits without being asked to (killed,
// crashed, out of memory), it is started again on the same port and data file, after a backoff that
// doubles while restarts keep failing or the restarted server keeps dying soon after. Deliveries that arrive meanwhile wait in the outbox; the relay
// starts them once Temporal answers again. Only `npm start` uses this: a real cluster is supervised
// by whatever runs it.
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { DevServer } from './dev-server';

export interface SupervisorOptions {
  /** Starts the dev server (the same port and data file every time). */
  start: () => Promise<DevServer>;
  log: {
    warn: (fields: Record<string, unknown>, msg: string) => void;
    info: (fields: Record<string, unknown>, msg: string) => void;
  };
  /** The first wait before a restart; it doubles after each failed restart, up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A server that ran this long before it died is restarted after `initialBackoffMs` again. */
  stableAfterMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
}

export interface SupervisedDevServer {
  address: string;
  uiUrl: string | undefined;
  /** How many times the server was started again after an unexpected exit. */
  restarts(): number;
  stop(): Promise<void>;
}

export async function superviseDevServer(o: SupervisorOptions): Promise<SupervisedDevServer> {
  const initial = o.initialBackoffMs ?? 1_000;
  const max = o.maxBackoffMs ?? 30_000;
  const stableAfter = o.stableAfterMs ?? 30_000;
  const sleep = o.sleep ?? ((ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const now = o.now ?? Date.now;
  const stopping = new AbortController();
  let current = await o.start();
  let startedAt = now();
  let restarts = 0;

  const superviseLoop = async (): Promise<void> => {
    let backoff = initial;
    for (;;) {
      const exit = await current.exited;
      if (stopping.signal.aborted) return;
      if (exit.orderly) {
        o.log.info({ reason: exit.reason }, 'the Temporal dev server stopped as asked: not restarting it');
        return;
      }
      backoff = now() - startedAt >= stableAfter ? initial : backoff;
      o.log.warn(
        { reason: exit.reason, restartInMs: backoff },
        'the Temporal dev server stopped unexpectedly: restarting it',
      );
      for (;;) {
        await sleep(backoff, stopping.signal).catch(() => undefined);
        if (stopping.signal.aborted) return;
        try {
          current = await o.start();
          startedAt = now();
          restarts++;
          o.log.info({ restarts }, 'the Temporal dev server is running again');
          // If this one dies soon too, the next restart waits longer.
          backoff = Math.min(backoff * 2, max);
          break;
        } catch (err) {
          backoff = Math.min(backoff * 2, max);
          o.log.warn({ err, restartInMs: backoff }, 'the Temporal dev server did not start again: retrying');
        }
      }
      if (stopping.signal.aborted) {
        await current.stop();
        return;
      }
    }
  };
  const loop = superviseLoop();

  return {
    address: current.address,
    uiUrl: current.uiUrl,
    restarts: () => restarts,
    async stop() {
      stopping.abort();
      await current.stop();
      await loop;
    },
  };
}
