// Starts the workflows of deliveries parked in the outbox once Temporal answers again (GitHub never
// retries a failed delivery by itself, so the outbox is what makes a Temporal outage lose nothing).
// Items are leased, so the relays of several server replicas never start one item twice at once;
// a start that turns out to be a duplicate is simply done. It also sweeps ledger rows stranded
// between "recorded" and "started" by a crash, and purges rows past their retention.
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { deliveryDetails, parsedPayload, summariseDelivery } from '../lib/delivery-summary';
import type { Logger } from '../lib/logger';
import type { Store } from '../lib/storage';
import type { OutboxItem } from '../lib/storage/outbox';
import type { Metrics } from '../lib/telemetry/metrics';
import { isTemporalUnavailable, type StartResult, type WorkflowStarter } from './starter';
import type { TemporalHealth } from './temporal-health';

export interface RelayOptions {
  intervalMs: number;
  /** The start deadline: a lease must outlast a whole batch of slow starts. */
  startTimeoutMs: number;
  batchSize?: number;
  /** Starts in flight at once (each a round trip to Temporal; the server handles many together). */
  concurrency?: number;
  /** A ledger row still `received` this long after arrival lost its start to a crash. */
  strandedAfterMs?: number;
  purgeEveryMs?: number;
  /** Refused starts (Temporal answered, and said no) before a delivery is given up as dead. */
  deadLetterAfter?: number;
}

export interface OutboxRelay {
  /** One pass: returns how many deliveries it started (or found already started). */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function startOutboxRelay(
  deps: {
    store: Store;
    starter: WorkflowStarter;
    health: TemporalHealth;
    logger: Logger;
    metrics?: Pick<Metrics, 'recordDeadLetter'> | undefined;
  },
  options: RelayOptions,
): OutboxRelay {
  const { store, starter, health, logger } = deps;
  const batch = options.batchSize ?? 20;
  const concurrency = options.concurrency ?? 8;
  // Long enough for every start of a batch to take its whole deadline one after another (as if
  // concurrency were 1), so no item's lease runs out
  // while this relay still means to start it (another replica would then start it too).
  const leaseMs = Math.max(30_000, batch * (options.startTimeoutMs + 1_000));
  let lastPurge = 0;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function pass(): Promise<number> {
    await store.enqueueStranded(options.strandedAfterMs ?? 60_000);
    if (Date.now() - lastPurge > (options.purgeEveryMs ?? 3_600_000)) {
      lastPurge = Date.now();
      const purged = await store.purgeExpired();
      if (purged > 0) logger.info({ purged }, 'purged ledger rows past their retention');
    }
    let done = 0;
    for (;;) {
      const items = await store.leaseOutbox(batch, leaseMs);
      if (items.length === 0) return done;
      let away = false;
      let failure: { err: unknown } | undefined;
      // A few at a time; once Temporal turns out to be away (or the store fails, or the relay is
      // stopping) no lane takes another item, and the pass ends only when every lane has.
      const next = items.values();
      const lane = async () => {
        for (let item = next.next(); !item.done && !away && !failure && !stopped; item = next.next()) {
          try {
            const result = await relayOne(item.value);
            if (result === 'started') done++;
            if (result === 'away') away = true;
          } catch (err) {
            failure ??= { err };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
      if (failure) throw failure.err;
      if (away || stopped) return done;
    }
  }

  async function relayOne(item: OutboxItem): Promise<'started' | 'refused' | 'away'> {
    const { ref, workflowType, rerunFailed, attempts, traceContext } = item;
    const since = health.mark();
    let started: StartResult;
    try {
      // Started in the parked request's trace, so the delivery stays one trace across the outage.
      const parent = traceContext ? propagation.extract(ROOT_CONTEXT, traceContext) : ROOT_CONTEXT;
      const describe = describeParked(item);
      started = await context.with(parent, () => starter.start(ref, workflowType, rerunFailed, describe));
      health.reportSuccess();
    } catch (err) {
      if (!isTemporalUnavailable(err) && attempts >= (options.deadLetterAfter ?? 10)) {
        // Temporal answered, and keeps saying no (an unknown namespace, a bad search attribute):
        // retrying forever would hide it. Dead, it is listed, alerted on, and replayable.
        await store.deadLetter(ref.key, String(err).slice(0, 500));
        deps.metrics?.recordDeadLetter();
        logger.error(
          { delivery: ref.key, attempts, err },
          'outbox: Temporal refused the start again: delivery is dead',
        );
        return 'refused';
      }
      const delay = Math.min(60_000, options.intervalMs * 2 ** Math.min(attempts, 10));
      await store.outboxRetryLater(ref.key, String(err).slice(0, 500), delay);
      if (!isTemporalUnavailable(err)) {
        logger.error({ delivery: ref.key, attempts, err }, 'outbox: Temporal refused the start');
        return 'refused';
      }
      logger.debug({ delivery: ref.key, err }, 'outbox: Temporal still unreachable');
      // One slow start while others succeed is not an outage: only then does the pass stop.
      return health.reportFailure(err, since) ? 'away' : 'refused';
    }
    await store.outboxDone(ref.key, started.workflowId, started.kind === 'started' ? started.runId : null);
    return 'started';
  }

  function tick(): Promise<number> {
    // One pass at a time; a caller arriving mid-pass shares it.
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    tick().catch((err: unknown) => logger.warn({ err }, 'outbox relay pass failed'));
  }, options.intervalMs);
  timer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** The summary a parked delivery's run shows in the Temporal UI, from the payload the lease returned. */
function describeParked(item: OutboxItem): { summary: string; details: string } | undefined {
  if (!item.rawBody) return undefined;
  const payload = parsedPayload(item.contentType, item.rawBody);
  return {
    summary: summariseDelivery(item.ref, payload),
    details: deliveryDetails(item.ref, payload, item.receivedAt),
  };
}
