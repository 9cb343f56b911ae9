// Marks started deliveries `accepted` in the ledger, in batches: one UPDATE per few milliseconds
// instead of one per delivery, off the acknowledgement's path. Losing a batch (a crash) is harmless:
// the relay's sweep finds those rows still `received`, and its start — a duplicate — marks them.
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '../lib/logger';
import type { Store } from '../lib/storage';

export interface AcceptedWriter {
  add(key: string, workflowId: string, runId: string | null): void;
  /** Writes what is pending now. */
  flush(): Promise<void>;
}

export function acceptedWriter(
  store: Store,
  logger: Logger,
  maxDelayMs = 10,
  maxBatch = 500,
): AcceptedWriter {
  let pending: { key: string; workflowId: string; runId: string | null }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) {
      writing = writing
        .then(() => store.markAccepted(batch))
        .catch((err: unknown) =>
          logger.warn({ err, deliveries: batch.length }, 'could not mark deliveries accepted'),
        );
    }
    return writing;
  };

  return {
    add(key, workflowId, runId) {
      pending.push({ key, workflowId, runId });
      // A batch belongs to no one delivery: it runs outside the trace of the request that started it.
      if (pending.length >= maxBatch) void context.with(ROOT_CONTEXT, flush);
      else timer ??= context.with(ROOT_CONTEXT, () => setTimeout(() => void flush(), maxDelayMs));
    },
    flush,
  };
}
