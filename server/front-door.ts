// The front door: one POST per delivery. It is verified (content type, size, headers, signature,
// JSON), its source and installation are checked, and it is routed; then it gets a ledger row, and
// once that row is committed it is acknowledged and its workflow is started off the request's path
// (the launcher) — or it waits in the outbox while Temporal is away. Every answer is a short JSON
// body a person can read in the provider's "Recent deliveries" view, and nothing is stored or started
// before the signature is verified. README "How a delivery is handled" lists the answers.
import { trace } from '@opentelemetry/api';
import type { Context } from 'koa';
import type { DeliveryOutcome, DeliveryRef } from '../lib/contracts/delivery-ref';
import type { Logger } from '../lib/logger';
import { deliveryAttributes } from '../lib/telemetry/attributes';
import { deliveryDetails, summariseDelivery } from '../lib/delivery-summary';
import { isStorageUnavailable, type Store } from '../lib/storage';
import type { AcceptedWriter } from './accepted-writer';
import { checkHookPlace, checkInstallation, checkSourceEvent } from './check-installation';
import { currentTraceContext, parkDelivery, type Launcher } from './launcher';
import type { Provider, Route } from './providers';
import { Refusal } from './refusal';
import type { StartResult, WorkflowStarter } from './starter';
import type { TemporalHealth } from './temporal-health';
import { verifyDelivery, type VerifiedDelivery } from './verify-delivery';

/** The ledger calls the front door makes. */
export type FrontDoorStore = Pick<Store, 'recordDelivery' | 'getInstallation' | 'enqueue'>;

export interface FrontDoorDeps {
  store: FrontDoorStore;
  starter: WorkflowStarter;
  health: TemporalHealth;
  accepted: AcceptedWriter;
  launcher: Launcher;
  logger: Logger;
  bodyLimitBytes: number;
  /** Answer a new delivery once recorded (default), or once its workflow has started too. */
  ackAfter?: 'record' | 'start';
  /** Seconds in the Retry-After of a 503. */
  retryAfterSeconds?: number;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const pong = (): Answer => ({
  status: 200,
  body: { status: 'ok', message: 'pong: hookflow received the ping and started nothing' },
});

/**
 * A ping only an older secret verifies, while a newer one is there: the sender has not got the new
 * secret yet. Not a success, so a rotation waiting for a ping signed with the new secret does not
 * take this one for it.
 */
const oldSecretPing = (): Answer => ({
  status: 409,
  body: {
    error: 'signed with a secret that is being rotated away: the sender does not have the new secret yet',
  },
});

const queued = (ref: DeliveryRef): Answer => ({
  status: 202,
  body: { status: 'queued', workflowId: ref.key },
});
const duplicate = (workflowId: string): Answer => ({
  status: 200,
  body: { status: 'duplicate', workflowId },
});

/**
 * A repeat the ledger can answer alone: completed once already (maybe beyond Temporal's retention),
 * waiting in the outbox, being started right now by the copy that recorded it (which starts or
 * parks it; a crash there is caught by the relay's sweep), or started (its run goes on, or ended
 * and will record how; either way no new run may start). Failed and dead ones ask Temporal, which
 * knows whether the run failed and may run again.
 */
const LEDGER_ANSWERS: readonly DeliveryOutcome[] = ['completed', 'queued', 'received', 'accepted'];

export function frontDoor(provider: Provider, deps: FrontDoorDeps) {
  const { store, starter, health, accepted, launcher, logger } = deps;
  const retryAfter = String(deps.retryAfterSeconds ?? 30);
  /** Keys of repeats whose start (a failed run's rerun) is under way here. */
  const restarting = new Set<string>();

  function record({ ref, body }: VerifiedDelivery, route: Exclude<Route, { kind: 'ping' }>) {
    const handled = route.kind === 'workflow';
    return store.recordDelivery({
      ref,
      contentType: body.contentType,
      rawBody: body.raw,
      workflowType: handled ? route.workflowType : null,
      reason: route.kind === 'ignored' ? route.reason : undefined,
      // An installation seen for the first time (installed before hookflow ran) is noted as unverified.
      noteInstallation: handled && !provider.requireKnownInstallation && ref.installation !== null,
    });
  }

  async function queue(ref: DeliveryRef, err: unknown, rerunFailed: boolean, log: Logger, since: number) {
    await parkDelivery({ store, health }, ref, err, rerunFailed, log, since);
    return queued(ref);
  }

  /** Starts the workflow, or parks the delivery in the outbox while Temporal is away. */
  async function startOrQueue(
    ref: DeliveryRef,
    workflowType: string,
    rerunFailed: boolean,
    log: Logger,
    describe: { summary: string; details: string },
  ): Promise<Answer> {
    const since = health.mark();
    if (!health.isUp()) return queue(ref, health.lastError(), rerunFailed, log, since);
    let started: StartResult;
    try {
      started = await starter.start(ref, workflowType, rerunFailed, describe);
      health.reportSuccess();
    } catch (err) {
      return queue(ref, err, rerunFailed, log, since);
    }
    accepted.add(ref.key, started.workflowId, started.kind === 'started' ? started.runId : null);
    if (started.kind === 'duplicate') return duplicate(started.workflowId);
    log.info({ workflowId: started.workflowId }, 'delivery accepted');
    return {
      status: 202,
      body: { status: 'accepted', workflowId: started.workflowId, runId: started.runId },
    };
  }

  async function admit(ctx: Context): Promise<Answer> {
    const delivery = await verifyDelivery(ctx, provider, deps.bodyLimitBytes);
    const { ref } = delivery;
    // For the metrics (server/app.ts): which source's old secret is still in use.
    if (delivery.byOldSecret) (ctx.state as { oldSecretSource?: string }).oldSecretSource = ref.source;
    const log = logger.child({ delivery: ref.key, event: ref.event, action: ref.action });
    trace.getActiveSpan()?.setAttributes(deliveryAttributes(ref));
    checkSourceEvent(delivery.source, ref.event);
    await checkInstallation(provider, store, delivery.source, ref);

    const route = provider.route(ref.event, delivery.payload);
    if (route.kind === 'ping') return delivery.byOldSecret ? oldSecretPing() : pong();
    checkHookPlace(delivery.source, delivery.payload);
    const recorded = await record(delivery, route);
    if (route.kind === 'ignored') {
      log.debug({ reason: route.reason }, 'delivery ignored');
      return { status: 202, body: { status: 'ignored', reason: route.reason } };
    }
    const describe = {
      summary: summariseDelivery(ref, delivery.payload),
      details: deliveryDetails(ref, delivery.payload, new Date()),
    };
    if (recorded.inserted && deps.ackAfter !== 'start') {
      // Known to be away: parked now, and the answer says so.
      if (!health.isUp()) return queue(ref, health.lastError(), false, log, health.mark());
      if (!launcher.launch({ ref, workflowType: route.workflowType, describe, log })) {
        // Far more deliveries waiting for a start than Temporal takes: this one waits in the outbox.
        log.warn('too many workflow starts waiting: delivery parked in the outbox');
        await store.enqueue(ref.key, 'too many workflow starts waiting', false, currentTraceContext());
        return queued(ref);
      }
      log.debug('delivery acknowledged: its workflow starts next');
      return { status: 202, body: { status: 'accepted', workflowId: ref.key } };
    }
    if (recorded.inserted) return startOrQueue(ref, route.workflowType, false, log, describe);
    // A copy of a delivery being started by another copy in this process asks no one (a burst of
    // redeliveries costs one start, not one each).
    if (LEDGER_ANSWERS.includes(recorded.outcome) || restarting.has(ref.key)) return duplicate(ref.key);
    restarting.add(ref.key);
    try {
      return await startOrQueue(ref, route.workflowType, recorded.outcome === 'failed', log, describe);
    } finally {
      restarting.delete(ref.key);
    }
  }

  /** Refusals and an unreachable ledger are answers too; anything else is a bug, for the app's 500. */
  function answerFailure(ctx: Context, err: unknown): void {
    if (err instanceof Refusal) {
      ctx.status = err.status;
      ctx.body = { error: err.message };
      logger.debug({ status: err.status, reason: err.message }, 'delivery refused');
      return;
    }
    if (isStorageUnavailable(err)) {
      // The ledger row holds the payload the workflow reads: without it nothing can be acknowledged.
      logger.error({ err }, 'storage unreachable: delivery refused with 503');
      ctx.status = 503;
      ctx.set('Retry-After', retryAfter);
      ctx.body = {
        error: 'hookflow cannot record deliveries right now (storage unreachable); redeliver later',
      };
      return;
    }
    throw err;
  }

  return async function handle(ctx: Context): Promise<void> {
    try {
      const answer = await admit(ctx);
      ctx.status = answer.status;
      ctx.body = answer.body;
    } catch (err) {
      answerFailure(ctx, err);
    }
  };
}
