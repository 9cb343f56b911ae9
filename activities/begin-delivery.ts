// A delivery's first step, as one local activity: summarise it, apply it to the synced tables, say
// which write-back steps are on and which of the app's handlers run for it — its payload read once.
// Four local activities did this one after another, each a round trip between the workflow and the
// worker (about 10 ms each here); as one, a handler starts that much sooner.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { summariseDelivery } from '../lib/delivery-summary';
import type { ActivityDeps } from './activity-deps';
import type { HandlerPlan } from './handler-activities';
import { loadPayload } from './payload';
import { tableUpdates, type TableEvent } from './repository-event-activities';

export interface BeginOptions {
  /** The tables this event updates, if any. */
  tables?: TableEvent;
  /** Whether to say which welcome write-back steps are on (`issues.opened`). */
  welcome?: boolean;
}

export interface Begun {
  /** The delivery's summary, with what the tables took of it. */
  summary: string;
  welcome: { label: boolean; comment: boolean };
  plan: HandlerPlan;
}

export function createBeginDelivery(
  deps: Pick<ActivityDeps, 'store' | 'logger' | 'api'>,
  planHandlers: (ref: DeliveryRef) => Promise<HandlerPlan>,
) {
  const { store, logger, api } = deps;
  const tables = tableUpdates(store);
  return {
    async beginDelivery(ref: DeliveryRef, o: BeginOptions = {}): Promise<Begun> {
      const payload = await loadPayload(store, ref.key);
      const summary = summariseDelivery(ref, payload);
      logger.info({ delivery: ref.key, summary }, 'delivery handled');
      const applied = o.tables ? await tables[o.tables](ref, payload) : '';
      const on = o.welcome === true;
      return {
        summary: [summary, applied].filter((p) => p.length > 0).join('; '),
        welcome: { label: on && Boolean(api.welcome.label), comment: on && Boolean(api.welcome.comment) },
        plan: await planHandlers(ref),
      };
    },
  };
}
