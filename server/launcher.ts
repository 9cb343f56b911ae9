// Starts the workflows of deliveries already acknowledged. The ledger row is the durable record (it
// holds the payload and dedups a redelivery), so the front door answers once that row is committed
// and hands the start to this queue, off the request's path: an acknowledgement costs one durable
// write, and a burst is taken at the speed of the store, not of Temporal's starts. Starts run
// concurrently, bounded, from a bounded queue; a start that fails parks its delivery in the outbox
// for the relay, and a crash before either leaves the row `received`, which the relay's sweep finds.
import { context, propagation, type Context } from '@opentelemetry/api';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { Logger } from '../lib/logger';
import type { Store } from '../lib/storage';
import type { AcceptedWriter } from './accepted-writer';
import { isTemporalUnavailable, type StartResult, type WorkflowStarter } from './starter';
import type { TemporalHealth } from './temporal-health';

interface Launch {
  ref: DeliveryRef;
  workflowType: string;
  describe: { summary: string; details: string };
  log: Logger;
}

export interface Launcher {
  /**
   * Queues a start; it runs in the caller's trace context. False when the queue is full (Temporal
   * starts far slower than deliveries arrive): the caller parks the delivery in the outbox instead.
   */
  launch(job: Launch): boolean;
  /** Settles once every start queued so far has started or been parked. */
  drain(): Promise<void>;
  /** Starts queued or running. */
  pending(): number;
}

/**
 * Parks a delivery in the outbox because its start failed, with the trace context it arrived in (the
 * relay's later start continues that trace). `since` is the health mark taken before the start.
 */
export async function parkDelivery(
  deps: { store: Pick<Store, 'enqueue'>; health: TemporalHealth },
  ref: DeliveryRef,
  err: unknown,
  rerunFailed: boolean,
  log: Logger,
  since: number,
): Promise<void> {
  if (isTemporalUnavailable(err)) {
    const down = deps.health.reportFailure(err, since);
    log.warn({ err, outage: down }, 'workflow start failed: delivery queued in the outbox');
  } else {
    // Temporal answered, and refused: a configuration problem, not an outage. The delivery is kept
    // in the outbox (nothing is lost) while someone fixes it.
    log.error({ err }, 'Temporal refused the workflow start: delivery kept in the outbox');
  }
  await deps.store.enqueue(ref.key, String(err).slice(0, 500), rerunFailed, currentTraceContext());
}

/** The active trace context, to park with a delivery: the relay's later start continues that trace. */
export function currentTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export function startLauncher(
  deps: {
    store: Pick<Store, 'enqueue'>;
    starter: WorkflowStarter;
    health: TemporalHealth;
    accepted: AcceptedWriter;
    logger: Logger;
  },
  concurrency: number,
  /** Starts waiting at most; past it deliveries go to the outbox, so memory stays bounded. */
  maxQueued = 500 * concurrency,
): Launcher {
  const { starter, health, accepted } = deps;
  const queue: { job: Launch; ctx: Context }[] = [];
  let running = 0;
  let idle: { promise: Promise<void>; resolve: () => void } | undefined;

  async function run(job: Launch): Promise<void> {
    const { ref, log } = job;
    const since = health.mark();
    let started: StartResult;
    try {
      // While Temporal is known to be away, no start is tried: the delivery waits in the outbox.
      if (!health.isUp()) throw health.lastError();
      started = await starter.start(ref, job.workflowType, false, job.describe);
      health.reportSuccess();
    } catch (err) {
      // If this write fails too (storage away), the row stays `received` and the relay's sweep
      // parks it later: the delivery was acknowledged, and is not lost.
      await parkDelivery(deps, ref, err, false, log, since).catch((parkErr: unknown) =>
        log.error({ err: parkErr }, 'could not park the delivery: the relay sweep will find it'),
      );
      return;
    }
    accepted.add(ref.key, started.workflowId, started.kind === 'started' ? started.runId : null);
    log.info({ workflowId: started.workflowId }, 'delivery accepted');
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const { job, ctx } = queue.shift()!;
      running++;
      void context
        .with(ctx, () => run(job))
        .catch((err: unknown) => deps.logger.error({ err, delivery: job.ref.key }, 'launcher failed'))
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && queue.length === 0 && idle) {
      idle.resolve();
      idle = undefined;
    }
  }

  return {
    launch(job) {
      if (queue.length >= maxQueued) return false;
      queue.push({ job, ctx: context.active() });
      pump();
      return true;
    },
    drain() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      if (!idle) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        idle = { promise, resolve };
      }
      return idle.promise;
    },
    pending: () => running + queue.length,
  };
}
