// The least a delivery could be as a Temporal workflow: one that returns at once (one workflow
// task, no activity). bench:delivery's floor phase runs a burst of these on a bare worker.
export function floor(): Promise<void> {
  return Promise.resolve();
}
