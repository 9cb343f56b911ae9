// Whether Temporal answered the last start. While it does not, deliveries go straight to the
// outbox (no request waits for a start deadline), and the relay's next successful start clears it.
// A failed start marks Temporal down only if no other start succeeded while it was in flight: one
// slow start among many that succeed (a deadline hit under load) is not an outage.
export interface TemporalHealth {
  isUp(): boolean;
  lastError(): unknown;
  /** A mark to pass back to `reportFailure`: taken before a call, it tells which successes came after. */
  mark(): number;
  /**
   * A call failed as if Temporal were away. With the `mark` taken before that call, a success
   * reported since then overrules it. Returns whether Temporal is now counted as down.
   */
  reportFailure(err: unknown, since?: number): boolean;
  reportSuccess(): void;
}

export function temporalHealth(): TemporalHealth {
  let down: { err: unknown } | undefined;
  let successes = 0;
  return {
    isUp: () => down === undefined,
    lastError: () => down?.err,
    mark: () => successes,
    reportFailure: (err, since) => {
      if (since !== undefined && successes > since) return false;
      down = { err };
      return true;
    },
    reportSuccess: () => {
      successes++;
      down = undefined;
    },
  };
}
