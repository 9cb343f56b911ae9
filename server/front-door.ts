// The front door: one POST per delivery, checked in a fixed order, each failure answered with a
// short JSON body a person can read in the provider's "Recent deliveries" view (R1–R6):
//   1 content type (415)  2 body size (413)  3 required headers (400)  4 signature (401)
//   5 parse (400)  6 known source/installation (403)  7 routing (200 ping, 202 ignored)
//   8 ledger row + workflow start (202 accepted / 200 duplicate)  9 outbox (202 queued) or 503.
// Nothing is stored or started before step 4 passes.
import { context, propagation, trace } from '@opentelemetry/api';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { deliveryKey, NO_HOOK_ID, type DeliveryRef } from '../lib/delivery';
import type { Logger } from '../lib/logger';
import { deliveryAttributes } from '../lib/telemetry/attributes';
import { isStorageUnavailable, type Store } from '../lib/storage';
import { fieldAt, type Provider, type Route, type Source } from './providers';
import { verifySignature } from './signature';
import type { AcceptedWriter } from './accepted-writer';
import { isTemporalUnavailable, type StartResult, type WorkflowStarter } from './starter';
import type { TemporalHealth } from './temporal-health';

export interface FrontDoorDeps {
  store: Store;
  starter: WorkflowStarter;
  health: TemporalHealth;
  accepted: AcceptedWriter;
  logger: Logger;
  bodyLimitBytes: number;
  /** Seconds in the Retry-After of a 503. */
  retryAfterSeconds?: number;
}

/** A request hookflow refuses; `status` < 500, `message` is shown to the sender. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const HOOK_ID = /^\d{1,20}$/;
const INSTALLATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
// eslint-disable-next-line no-control-regex -- control characters (NUL included) are what it refuses
const SHORT_TEXT = /^[^\u0000-\u001f\u007f]{1,256}$/;

type Body = { contentType: 'json' | 'form'; raw: Buffer };

function checkContentType(ctx: Context): Body['contentType'] {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  throw new Refusal(
    415,
    `unsupported content type ${type ? `"${type}"` : '(none)'}: send application/json or application/x-www-form-urlencoded`,
  );
}

async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || null });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') throw new Refusal(413, `body larger than the ${limit}-byte limit`);
    if (e.type === 'request.size.invalid')
      throw new Refusal(400, 'body length does not match Content-Length');
    if (e.type === 'request.aborted') throw new Refusal(400, 'request aborted while reading the body');
    throw new Refusal(400, 'could not read the body');
  }
}

function header(ctx: Context, name: string): string | undefined {
  const v = ctx.get(name);
  return v === '' ? undefined : v;
}

function parsePayload(body: Body): Record<string, unknown> {
  let text: string;
  if (body.contentType === 'form') {
    const payload = new URLSearchParams(body.raw.toString('utf8')).get('payload');
    if (payload === null) throw new Refusal(400, 'form-encoded body has no "payload" field');
    text = payload;
  } else {
    text = body.raw.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(400, 'body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Refusal(400, 'body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function display(headerName: string): string {
  return headerName
    .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
    .replace('Github', 'GitHub');
}

export function frontDoor(provider: Provider, deps: FrontDoorDeps) {
  const { store, starter, health, accepted, logger } = deps;
  const retryAfter = String(deps.retryAfterSeconds ?? 30);

  async function checkInstallation(
    installation: string | undefined,
    source: Source,
    event: string,
  ): Promise<void> {
    if (installation === undefined) {
      if (provider.requireKnownInstallation) {
        throw new Refusal(
          403,
          `payload has no ${provider.installationField}; hookflow accepts only known installations`,
        );
      }
      return;
    }
    if (provider.requireKnownInstallation && provider.knownInstallations.has(installation)) return;
    const known = await store.getInstallation(provider.name, installation);
    if (provider.requireKnownInstallation) {
      if (known?.status !== 'active')
        throw new Refusal(403, `unknown ${provider.installationField} ${installation}`);
      return;
    }
    if (!known) {
      // Installed before hookflow ran: accepted and recorded as unverified — through the App's source only.
      if (source.introducesInstallations) return;
      throw new Refusal(403, `installation ${installation} is not registered to this hook`);
    }
    if (known.source !== source.key) {
      throw new Refusal(
        403,
        `installation ${installation} is registered to another hook; this hook's secret cannot speak for it`,
      );
    }
    if (known.status === 'removed' && event !== 'installation') {
      throw new Refusal(403, `installation ${installation} was uninstalled`);
    }
  }

  async function record(ref: DeliveryRef, body: Body, route: Route) {
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

  async function queue(ref: DeliveryRef, err: unknown, rerunFailed: boolean, log: Logger): Promise<void> {
    if (isTemporalUnavailable(err)) {
      health.reportFailure(err);
      log.warn({ err: String(err) }, 'Temporal unreachable: delivery queued in the outbox');
    } else {
      // Temporal answered, and refused: a configuration problem, not an outage. The delivery is
      // kept in the outbox (nothing is lost) while someone fixes it.
      log.error({ err: String(err) }, 'Temporal refused the workflow start: delivery kept in the outbox');
    }
    // The request's trace context goes with it: the relay's later start continues this trace.
    const traceContext: Record<string, string> = {};
    propagation.inject(context.active(), traceContext);
    await store.enqueue(ref.key, String(err).slice(0, 500), rerunFailed, traceContext);
  }

  return async function handle(ctx: Context): Promise<void> {
    try {
      // 1–2: content type, then the raw bytes (the signature covers exactly these).
      const contentType = checkContentType(ctx);
      const body: Body = { contentType, raw: await readBody(ctx, deps.bodyLimitBytes) };

      // 3: required headers.
      const deliveryId = header(ctx, provider.headers.delivery);
      const eventHeader = provider.headers.event ? header(ctx, provider.headers.event) : undefined;
      const hookIdHeader = provider.headers.hookId ? header(ctx, provider.headers.hookId) : undefined;
      if (hookIdHeader !== undefined && !HOOK_ID.test(hookIdHeader)) {
        throw new Refusal(400, `${display(provider.headers.hookId!)} is not a numeric hook ID`);
      }
      const source = provider.sourceFor(hookIdHeader);
      const signed = source.schemes
        .map((s) => ({ ...s, value: header(ctx, s.header) }))
        .find((s) => s.value !== undefined);
      const missing = [
        ...(deliveryId === undefined ? [provider.headers.delivery] : []),
        ...(provider.headers.event && eventHeader === undefined ? [provider.headers.event] : []),
        ...(signed === undefined ? [source.schemes.map((s) => s.header).join(' or ')] : []),
      ];
      if (missing.length > 0) throw new Refusal(400, `missing headers: ${missing.map(display).join(', ')}`);
      if (!DELIVERY_ID.test(deliveryId!))
        throw new Refusal(400, `${display(provider.headers.delivery)} is not a valid delivery ID`);
      if (eventHeader !== undefined && !EVENT_NAME.test(eventHeader)) {
        throw new Refusal(400, `${display(provider.headers.event!)} is not a valid event name`);
      }

      // 4: signature of the raw bytes; a source without a secret fails closed.
      if (source.secrets.length === 0) {
        throw new Refusal(
          401,
          'no webhook secret is configured for this hook, so hookflow accepts nothing from it',
        );
      }
      const verdict = verifySignature(signed!.scheme, source.secrets, body.raw, signed!.value!);
      if (verdict === 'malformed') throw new Refusal(401, `${display(signed!.header)} is malformed`);
      if (verdict === 'mismatch')
        throw new Refusal(
          401,
          `${display(signed!.header)} does not match the body: check the webhook secret`,
        );

      // 5: parse.
      const payload = parsePayload(body);
      const event = eventHeader ?? (provider.eventField ? fieldAt(payload, provider.eventField) : undefined);
      if (event === undefined || !EVENT_NAME.test(event)) {
        throw new Refusal(
          400,
          `payload has no valid event name in ${provider.eventField ?? 'the event header'}`,
        );
      }
      const action = typeof payload.action === 'string' ? payload.action : null;
      const installation = fieldAt(payload, provider.installationField);
      const repository = provider.repositoryField ? fieldAt(payload, provider.repositoryField) : undefined;
      // These become ledger columns and search attributes: bounded, printable, or refused.
      if (action !== null && !SHORT_TEXT.test(action))
        throw new Refusal(400, 'payload action is not a valid action name');
      if (installation !== undefined && !INSTALLATION_ID.test(installation)) {
        throw new Refusal(400, `payload ${provider.installationField} is not a valid installation ID`);
      }
      if (repository !== undefined && !SHORT_TEXT.test(repository)) {
        throw new Refusal(400, `payload ${provider.repositoryField!} is not a valid repository name`);
      }

      const hookId = hookIdHeader ?? NO_HOOK_ID;
      const ref: DeliveryRef = {
        key: deliveryKey(provider.name, hookId, deliveryId!),
        provider: provider.name,
        source: source.key,
        hookId,
        deliveryId: deliveryId!,
        event,
        action,
        installation: installation ?? null,
        repository: repository ?? null,
      };
      const log = logger.child({ delivery: ref.key, event, action });
      trace.getActiveSpan()?.setAttributes(deliveryAttributes(ref));

      // 6: a known source and installation.
      await checkInstallation(installation, source, event);

      // 7: routing.
      const route = provider.route(event, payload);
      if (route.kind === 'ping') {
        ctx.status = 200;
        ctx.body = { status: 'ok', message: 'pong: hookflow received the ping and started nothing' };
        return;
      }

      // 8: the durable record, then the answer.
      const recorded = await record(ref, body, route);
      if (route.kind === 'ignored') {
        ctx.status = 202;
        ctx.body = { status: 'ignored', reason: route.reason };
        log.debug({ reason: route.reason }, 'delivery ignored');
        return;
      }
      // A repeat the ledger can answer alone: completed once already (maybe beyond Temporal's
      // retention), waiting in the outbox, or being started right now by the copy that recorded it
      // (which starts or queues it; a crash there is caught by the relay's sweep). Accepted and
      // failed ones ask Temporal, which knows whether the run failed and may run again.
      if (!recorded.inserted && ['completed', 'queued', 'received'].includes(recorded.outcome)) {
        ctx.status = 200;
        ctx.body = { status: 'duplicate', workflowId: ref.key };
        return;
      }

      // 9: start the workflow, or park the delivery in the outbox while Temporal is away.
      const rerunFailed = !recorded.inserted && recorded.outcome === 'failed';
      if (!health.isUp()) {
        await queue(ref, health.lastError(), rerunFailed, log);
        ctx.status = 202;
        ctx.body = { status: 'queued', workflowId: ref.key };
        return;
      }
      let started: StartResult;
      try {
        started = await starter.start(ref, route.workflowType, rerunFailed);
        health.reportSuccess();
      } catch (err) {
        await queue(ref, err, rerunFailed, log);
        ctx.status = 202;
        ctx.body = { status: 'queued', workflowId: ref.key };
        return;
      }
      accepted.add(ref.key, started.workflowId, started.kind === 'started' ? started.runId : null);
      if (started.kind === 'duplicate') {
        ctx.status = 200;
        ctx.body = { status: 'duplicate', workflowId: started.workflowId };
        return;
      }
      ctx.status = 202;
      ctx.body = { status: 'accepted', workflowId: started.workflowId, runId: started.runId };
      log.info({ workflowId: started.workflowId }, 'delivery accepted');
    } catch (err) {
      if (err instanceof Refusal) {
        ctx.status = err.status;
        ctx.body = { error: err.message };
        logger.debug({ status: err.status, reason: err.message }, 'delivery refused');
        return;
      }
      if (isStorageUnavailable(err)) {
        logger.error({ err: String(err) }, 'storage unreachable: delivery refused with 503');
        ctx.status = 503;
        ctx.set('Retry-After', retryAfter);
        ctx.body = {
          error: 'hookflow cannot record deliveries right now (storage unreachable); redeliver later',
        };
        return;
      }
      throw err;
    }
  };
}
