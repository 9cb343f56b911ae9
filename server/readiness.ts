// `/readyz`: whether storage and Temporal answer, each probe bounded by a short deadline. A load
// balancer or an orchestrator polls this every few seconds; an unreachable Temporal must turn into
// "not ready" at once, not after the gRPC client's reconnect backoff (seen: 3–6 s without a bound).
export interface ReadinessProbes {
  store: { ping(): Promise<void> };
  /** Given the probe's bound, so the call itself ends then too (nothing left retrying). */
  starter: { ping(timeoutMs: number): Promise<void> };
}

export interface Readiness {
  ready: boolean;
  storage: 'ok' | 'unreachable';
  temporal: 'ok' | 'unreachable';
}

/** The default bound on each probe: well under a second, well over a healthy round trip. */
const READY_PROBE_TIMEOUT_MS = 500;

export async function checkReadiness(
  probes: ReadinessProbes,
  timeoutMs: number = READY_PROBE_TIMEOUT_MS,
): Promise<Readiness> {
  const [storage, temporal] = await Promise.all([
    answers(() => probes.store.ping(), timeoutMs),
    answers(() => probes.starter.ping(timeoutMs), timeoutMs),
  ]);
  return {
    ready: storage && temporal,
    storage: storage ? 'ok' : 'unreachable',
    temporal: temporal ? 'ok' : 'unreachable',
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
