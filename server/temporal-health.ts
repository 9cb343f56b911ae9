// Whether Temporal answered the last start. While it does not, deliveries go straight to the
// outbox (no request waits for a start deadline), and the relay's next successful start clears it.
export interface TemporalHealth {
  isUp(): boolean;
  lastError(): unknown;
  reportFailure(err: unknown): void;
  reportSuccess(): void;
}

export function temporalHealth(): TemporalHealth {
  let down: { err: unknown } | undefined;
  return {
    isUp: () => down === undefined,
    lastError: () => down?.err,
    reportFailure: (err) => {
      down = { err };
    },
    reportSuccess: () => {
      down = undefined;
    },
  };
}
