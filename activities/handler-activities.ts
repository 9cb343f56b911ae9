// Users' handlers (app/README.md), as activities. `planHandlers` names the app's handlers for a
// delivery, once, into the workflow's history; `runHandler` runs one of them with its context. The
// handler's requests go through hookflow's client; its completed mutations are journaled, so a
// retry (after a 5xx, a rate limit, a lost worker) is answered from the journal instead of sending
// them again. A handler's own error fails it for good: the delivery fails visibly and can be replayed.
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { ApplicationFailure, Context as ActivityContext } from '@temporalio/activity';
import { createContext } from '../app/context';
import type { LoadedApp } from '../app/load-app';
import { createOctokit, createsContent, refusal, type OctokitAnswer, type OctokitCall } from '../app/octokit';
import type { HandlerError } from '../app/app';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { FAILURE } from '../lib/contracts/failure-types';
import * as journal from '../lib/storage/handler-journal';
import type { ActivityDeps } from './activity-deps';
import { beat } from './attempt-state';
import { githubCaller } from './github-call';
import { ApiError } from './github/api-error';
import { loadPayload } from './payload';
import { toTemporalFailure } from './to-temporal-failure';

/** What the workflow runs for a delivery, and how long each handler may take. */
export interface HandlerPlan {
  handlers: string[];
  /** Each handler's code digest when planned (absent in plans recorded before it was). */
  fingerprints?: Record<string, string>;
  /** The app's workflows to run as children (absent in plans recorded before apps had workflows). */
  workflows?: { id: string; workflowType: string }[];
  timeoutMs: number;
  heartbeatMs: number;
  /** Run as local activities (HOOKFLOW_LOCAL_HANDLERS when planned; absent: activities, as before). */
  local?: true;
}

/**
 * How long a claimed request can still be on its way to an answer: the installation's turn (its lock
 * wait, a budget probe, a pacing wait), a token's issue, and the request itself. Past this its sender is gone.
 */
function claimStaleMs(api: Pick<ActivityDeps['api'], 'timeoutMs' | 'inlineWaitMs'>): number {
  return 4 * api.timeoutMs + 2 * api.inlineWaitMs + 31_000;
}

const sleep = (ms: number, signal: AbortSignal) => setTimeout(ms, undefined, { signal });

/** API answers that are the handler's to deal with (Octokit raises them as RequestError); the rest are retried. */
const REFUSALS = new Set(['validation', 'not-found', 'client', 'unauthorized', 'forbidden']);
const READS = new Set(['GET', 'HEAD']);

export function createHandlerActivities(
  deps: Pick<ActivityDeps, 'store' | 'api' | 'github' | 'logger' | 'githubApiUrl' | 'app' | 'appConfig'>,
) {
  const { store } = deps;
  const { github, policy } = githubCaller(deps);

  function missing(id: string, ref: DeliveryRef): never {
    throw ApplicationFailure.create({
      type: FAILURE.handlerMissing,
      message: deps.app
        ? `handler ${id} is not in the app ${deps.app.file} this worker runs (was another version deployed?): run the same app on every worker, then replay ${ref.key}`
        : `handler ${id} was planned, but this worker runs no app: start every worker with the same HOOKFLOW_APP, then replay ${ref.key}`,
      nonRetryable: true,
    });
  }

  return {
    // Local and quick; async because activities return promises.
    // eslint-disable-next-line @typescript-eslint/require-await
    async planHandlers(ref: DeliveryRef): Promise<HandlerPlan> {
      // The app's handlers are GitHub's: a declarative provider's deliveries are not theirs.
      const matched = ref.provider === 'github' ? (deps.app?.handlersFor(ref.event, ref.action) ?? []) : [];
      return {
        handlers: matched.flatMap((r) => (r.kind === 'handler' ? [r.id] : [])),
        fingerprints: Object.fromEntries(
          matched.flatMap((r) => (r.kind === 'handler' ? [[r.id, r.fingerprint] as const] : [])),
        ),
        workflows: matched.flatMap((r) =>
          r.kind === 'workflow' ? [{ id: r.id, workflowType: r.workflowType }] : [],
        ),
        timeoutMs: deps.appConfig?.handlerTimeoutMs ?? 600_000,
        heartbeatMs: deps.appConfig?.handlerHeartbeatMs ?? 30_000,
        // In the plan, so the history says how its handlers ran: a replay takes the same path.
        ...(deps.appConfig?.localHandlers ? { local: true as const } : {}),
      };
    },

    async runHandler(ref: DeliveryRef, id: string, fingerprint?: string): Promise<string> {
      const registration = deps.app?.handler(id);
      if (!deps.app || !registration) missing(id, ref);
      if (fingerprint !== undefined && registration.fingerprint !== fingerprint) {
        throw ApplicationFailure.create({
          type: FAILURE.handlerMissing,
          message: `handler ${id} is not the code planned for ${ref.key} (another version of the app ${deps.app.file} was deployed while it ran): replay the delivery`,
          nonRetryable: true,
        });
      }
      const payload = await loadPayload(store, ref.key);
      const info = ActivityContext.current().info;
      const scope: journal.JournalScope = {
        deliveryKey: ref.key,
        runId: info.workflowExecution?.runId ?? info.activityId,
        handler: id,
      };
      const installation = ref.installation ?? (deps.api.token ? 'token' : undefined);
      const log = deps.logger.child({ handler: id, event: ref.event, action: ref.action });
      const occurrences = new Map<string, { next: number; free: number[] }>();
      /** Which of several identical requests this is; a request that did not complete gives its number back. */
      const take = (digest: string) => {
        const o = occurrences.get(digest) ?? { next: 0, free: [] };
        occurrences.set(digest, o);
        o.free.sort((a, b) => a - b);
        return o.free.shift() ?? o.next++;
      };
      const giveBack = (digest: string, n: number) => occurrences.get(digest)?.free.push(n);
      const counts = { sent: 0, fromJournal: 0 };
      // Who claims this attempt's mutations: unique within the run (a handler scheduled again after a
      // long rate-limit wait is another activity, whose attempts count from 1 again). A local
      // activity is run again with the same ID and attempt when its workflow task is retried (its
      // worker was lost, or took too long): each of its executions is told apart.
      const claimer = `${info.activityId}#${info.attempt}${info.isLocal ? `#${randomUUID()}` : ''}`;
      // A lost or timed-out attempt stops making requests: its retry is making them.
      const signal = ActivityContext.current().cancellationSignal;
      // A local activity retries in its worker, holding its delivery's workflow task all the while:
      // every rate-limit wait past the inline ones goes back to the workflow, as a timer.
      const failurePolicy = info.isLocal ? { ...policy, retryWaitMs: 0 } : policy;
      // The first failure that is not the handler's own: it decides the retry, whatever the handler made of it.
      let transient: unknown;

      /**
       * Claims a mutation for this attempt, or waits while an earlier attempt is sending it: an attempt
       * Temporal gave up on (a heartbeat missed on a busy machine) may still be alive, with this very
       * comment on the wire. Its answer, once recorded, is this attempt's answer. A claim no request
       * could still be behind (its worker died mid-request) is taken over, and the request is sent
       * again: whether the first one landed cannot be known.
       */
      const claimOrWait = async (request: journal.JournalRequest, route: string) => {
        for (let pauseMs = 50, told = false; ; pauseMs = Math.min(pauseMs * 2, 1_000)) {
          const c = await journal.claim(store.db, scope, request, claimer, claimStaleMs(deps.api));
          if (c.taken) {
            // The holder records the answer before it lets go of its claim: one that let go just
            // before this claim was taken has left its answer.
            const done = await journal.lookUp(store.db, scope, request);
            if (done) {
              await journal.release(store.db, scope, request, claimer);
              return done;
            }
            if (c.tookOverFrom !== undefined) {
              log.warn(
                { route, claimer, earlier: c.tookOverFrom },
                'an earlier attempt never recorded the answer to this request: sending it again (the first may have landed)',
              );
            }
            return undefined;
          }
          if (!told) {
            told = true;
            log.info(
              { route, claimer, earlier: c.claimer },
              'an earlier attempt of this handler is sending this request: waiting for its answer',
            );
          }
          await sleep(pauseMs, signal);
          const done = await journal.lookUp(store.db, scope, request);
          if (done) return done;
        }
      };

      const send = async (call: OctokitCall): Promise<OctokitAnswer> => {
        const method = call.method.toUpperCase();
        const mutation = !READS.has(method);
        const body = call.body === undefined ? undefined : JSON.stringify(call.body);
        const request: journal.JournalRequest = {
          method,
          url: call.url,
          body,
          accept: call.accept,
          occurrence: 0,
        };
        const digest = journal.requestDigest(request);
        request.occurrence = take(digest);
        let claimed = false;
        try {
          signal.throwIfAborted();
          if (mutation) {
            const done =
              (await journal.lookUp(store.db, scope, request)) ?? (await claimOrWait(request, call.route));
            if (done) {
              counts.fromJournal++;
              log.info(
                { method, route: call.route },
                'answered from the journal: this request was completed by an earlier attempt',
              );
              return { ...done, url: call.url };
            }
            claimed = true;
          }
          if (!installation) {
            throw ApplicationFailure.nonRetryable(
              `${ref.key} names no installation and hookflow has no GITHUB_TOKEN: there is no one to call GitHub as`,
              FAILURE.notConfigured,
            );
          }
          const res = await github().request({
            method,
            url: call.url,
            route: call.route,
            installation,
            requestId: ref.deliveryId,
            body: call.body,
            ...(call.accept ? { accept: call.accept } : {}),
            conditional: !mutation,
            createsContent: createsContent(method, call.route),
            signal,
          });
          counts.sent++;
          const answer: OctokitAnswer = {
            // A read served from hookflow's cache is GitHub's 200 to the handler, as Octokit would show it.
            status: res.fromCache ? 200 : res.status,
            url: res.url,
            data: res.data,
            link: res.next ? `<${res.next}>; rel="next"` : undefined,
            contentType: res.contentType,
          };
          if (mutation) await journal.record(store.db, scope, request, answer);
          return answer;
        } catch (err) {
          // The claim goes first: an identical request of this attempt may take the number given back.
          if (claimed) await journal.release(store.db, scope, request, claimer).catch(() => undefined);
          giveBack(digest, request.occurrence);
          if (err instanceof ApiError && REFUSALS.has(err.kind)) {
            throw refusal(call, err.details.status ?? 400, err.details.providerMessage ?? err.message);
          }
          transient ??= err;
          throw err;
        }
      };

      const octokit = await createOctokit(deps.githubApiUrl, send);
      const context = createContext({
        deliveryId: ref.deliveryId,
        deliveryKey: ref.key,
        event: ref.event,
        payload,
        log,
        octokit,
      });
      // A handler may run for minutes: heartbeats tell Temporal its worker is alive (and carry the 5xx
      // count). A local activity has none: its workflow task's own timeout notices a lost worker.
      const heartbeats = info.isLocal
        ? undefined
        : setInterval(
            () => beat({}),
            Math.max(100, Math.floor(info.heartbeatTimeoutMs ? info.heartbeatTimeoutMs / 3 : 10_000)),
          );
      try {
        await registration.handler(context);
      } catch (err) {
        if (transient !== undefined) throw toTemporalFailure(transient, failurePolicy);
        log.error({ err }, 'handler failed');
        await tellErrorHandlers(deps.app, err, id, ref, payload, log);
        const message = err instanceof Error ? err.message : String(err);
        throw ApplicationFailure.create({
          type: FAILURE.handlerFailed,
          message: `handler ${id} failed: ${message}`,
          nonRetryable: true,
          ...(err instanceof Error ? { cause: err } : {}),
        });
      } finally {
        clearInterval(heartbeats);
      }
      // A transient failure the handler caught (and went on without) still means its work is not done.
      if (transient !== undefined) throw toTemporalFailure(transient, failurePolicy);
      const journaled = counts.fromJournal > 0 ? `, ${counts.fromJournal} answered from the journal` : '';
      return `handler ${id}: done (${counts.sent} requests${journaled})`;
    },
  };
}

/** `app.onError` handlers hear of every handler failure, as in Probot; their own failures are only logged. */
async function tellErrorHandlers(
  app: LoadedApp,
  err: unknown,
  id: string,
  ref: DeliveryRef,
  payload: unknown,
  log: ActivityDeps['logger'],
): Promise<void> {
  if (app.app.errorHandlers.length === 0) return;
  const error = (err instanceof Error ? err : new Error(String(err))) as HandlerError;
  error.event = { id: ref.deliveryId, name: ref.event, payload };
  error.handler = id;
  for (const onError of app.app.errorHandlers) {
    try {
      await onError(error);
    } catch (inner) {
      log.error({ err: inner }, 'an app.onError handler failed');
    }
  }
}
