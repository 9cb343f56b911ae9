// `/readyz`: whether storage and Temporal answer, each answer bounded by a short deadline. A load
// balancer or an orchestrator polls this every few seconds; an unreachable Temporal must turn into
// "not ready" at once, not after the gRPC client's reconnect backoff (seen: 3–6 s without a bound).
// A ping that outlives its deadline is not started again while it runs: polls share it, so a
// stalled database holds one pool connection for readiness, not one per poll.
import type { StartPath } from './starter';

export interface ReadinessProbes {
  store: { ping(): Promise<void> };
  /** Given the probe's bound, so the call itself ends then too (nothing left retrying). */
  starter: { ping(timeoutMs: number): Promise<void>; path?(): StartPath };
}

export interface Readiness {
  ready: boolean;
  storage: 'ok' | 'unreachable';
  temporal: 'ok' | 'unreachable';
  /** The connection workflow starts take now (see StartPath). */
  starts?: StartPath;
}

/** The default bound on each answer: well under a second, well over a healthy round trip. */
const READY_PROBE_TIMEOUT_MS = 500;

/** A readiness check over `probes`; keep one per process, so that polls share a slow ping. */
export function readinessCheck(
  probes: ReadinessProbes,
  timeoutMs: number = READY_PROBE_TIMEOUT_MS,
): () => Promise<Readiness> {
  const storage = sharedWhileRunning(() => probes.store.ping());
  const temporal = sharedWhileRunning(() => probes.starter.ping(timeoutMs));
  return async () => {
    const [storageOk, temporalOk] = await Promise.all([
      answers(storage, timeoutMs),
      answers(temporal, timeoutMs),
    ]);
    const starts = probes.starter.path?.();
    return {
      ready: storageOk && temporalOk,
      storage: storageOk ? 'ok' : 'unreachable',
      temporal: temporalOk ? 'ok' : 'unreachable',
      ...(starts ? { starts } : {}),
    };
  };
}

/** `ping`, except that a call while an earlier one still runs gets that earlier one. */
function sharedWhileRunning(ping: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= ping().finally(() => {
      running = undefined;
    });
    return running;
  };
}

async function answers(ping: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      ping().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
