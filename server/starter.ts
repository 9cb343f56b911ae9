// Starts a delivery's workflow, idempotently: the workflow ID is the delivery key, so an earlier run
// with that ID makes the start a duplicate — except that a failed run may run again when the sender
// redelivers (ALLOW_DUPLICATE_FAILED_ONLY for exactly that case). The start is bounded by a deadline
// so an unreachable Temporal costs an acknowledgement milliseconds, not minutes.
// https://docs.temporal.io/workflow-execution/workflowid-runid#workflow-id-reuse-policy
import { type Client, isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import { searchAttributesFor } from '../lib/temporal/search-attributes';

export type StartResult =
  | {
      kind: 'started';
      workflowId: string;
      runId: string;
      /** Temporal handed its first workflow task straight to this process's worker. */
      eager?: boolean;
    }
  | { kind: 'duplicate'; workflowId: string };

export interface WorkflowStarter {
  /**
   * Throws when the workflow could not be started (Temporal unreachable or refusing).
   * `rerunFailed`: the sender redelivered a delivery whose run failed, so a failed run may run
   * again. Otherwise any earlier run makes this start a duplicate — so a retried start (after a
   * deadline that hid a success) never runs a delivery a second time.
   */
  start(
    ref: DeliveryRef,
    workflowType: string,
    rerunFailed: boolean,
    /** How the run reads in the Temporal UI's list (its user metadata). */
    describe?: { summary: string; details: string },
  ): Promise<StartResult>;
  /** Answers whether Temporal answers at all, within `timeoutMs` (default: the start deadline). */
  ping(timeoutMs?: number): Promise<void>;
  /** The connection the next start takes (shown by /readyz). */
  path(): StartPath;
  /**
   * Settles once every call made so far has settled. The SDK retries an unavailable Temporal on
   * timers of its own; closing the connection under one of them throws "Channel has been shut
   * down" from that timer and kills the process, so the connection closes only after this.
   */
  drain(): Promise<void>;
}

/**
 * `eager`: the native connection of a worker in this process, asking for the first workflow task;
 * `native`: the server's own native connection; `javascript`: the JavaScript client (no native
 * connection, not made yet, found closed, or a native start outlived its deadline and still runs).
 */
export type StartPath = 'eager' | 'native' | 'javascript';

/**
 * A client on a native (Rust core) connection: starts go through it when it is there. It does the
 * HTTP/2 and gRPC framing off the JavaScript thread, which spends less of the server's CPU per start
 * than the JavaScript client (@grpc/grpc-js).
 */
export interface NativeStarts {
  /** Undefined until the connection is made (the JavaScript client starts meanwhile). */
  client(): Client | undefined;
  /**
   * The connection is a worker's in this process (`npm start`): starts ask Temporal to hand the
   * run's first workflow task back in the start's answer, to that worker, instead of queueing it
   * for a poll (eager workflow start; when the worker has no free slot the SDK does not ask, and
   * the task is queued). https://docs.temporal.io/develop/worker-performance#eager-workflow-start
   */
  eager: boolean;
}

export function temporalStarter(
  client: Client,
  taskQueue: string,
  timeoutMs: number,
  searchRepository = true,
  native?: NativeStarts,
): WorkflowStarter {
  const inFlight = new Set<Promise<unknown>>();
  /**
   * Native calls past their deadline that the SDK still retries (it cannot cancel them). While any
   * is, Temporal is likely away on that path: starts go through the JavaScript client, which gives
   * up at its deadline, so an outage leaves at most the calls in flight when it began behind.
   */
  let abandoned = 0;
  const withDeadline = <T>(fn: () => Promise<T>, ms = timeoutMs, via: Client = client): Promise<T> => {
    const call = via.connection.withDeadline(Date.now() + ms, fn);
    // A native connection gives each of its own retries the whole deadline (about ten
    // seconds of them while Temporal is away), so there the deadline is kept here as well.
    const bounded = via === client ? call : raceDeadline(call, ms, () => abandon(call));
    // Closing the JavaScript client's connection under a call's retry timer throws (see drain()).
    // A native call past its deadline goes on inside the SDK (within its own retry budget), but
    // closing its connection under it throws nothing here: there the deadline is all that is waited for.
    const settled = bounded.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return bounded;
  };
  const abandon = (call: Promise<unknown>) => {
    abandoned++;
    const done = () => void abandoned--;
    void call.then(done, done);
  };
  /** Native clients found closed (a worker's, once the worker stopped): never asked again. */
  const closed = new WeakSet<Client>();
  /** The native client while it is there, open, and nothing abandoned on it still runs. */
  const nativeClient = () => {
    const c = abandoned === 0 ? native?.client() : undefined;
    return c && !closed.has(c) ? c : undefined;
  };
  return {
    async start(ref, workflowType, rerunFailed, describe) {
      const startVia = (via: Client, eager: boolean) =>
        withDeadline(
          () =>
            via.workflow.start(workflowType, {
              taskQueue,
              workflowId: ref.key,
              args: [ref],
              workflowIdReusePolicy: rerunFailed ? 'ALLOW_DUPLICATE_FAILED_ONLY' : 'REJECT_DUPLICATE',
              workflowIdConflictPolicy: 'FAIL',
              typedSearchAttributes: searchAttributesFor(ref, { repository: searchRepository }),
              ...(describe ? { staticSummary: describe.summary, staticDetails: describe.details } : {}),
              ...(eager ? { requestEagerStart: true } : {}),
            }),
          timeoutMs,
          via,
        );
      const fast = nativeClient();
      const eager = fast !== undefined && native!.eager;
      try {
        let handle: Awaited<ReturnType<typeof startVia>>;
        try {
          handle = await startVia(fast ?? client, eager);
        } catch (err) {
          // A worker's connection is closed once the worker stops (a shutdown, a crash): a start
          // that found it closed goes the usual way (a duplicate is safe). Any other failure is
          // the start's answer: trying again would only double its time and Temporal's load.
          if (!fast || !closedConnection(err)) throw err;
          closed.add(fast);
          handle = await startVia(client, false);
        }
        return {
          kind: 'started',
          workflowId: handle.workflowId,
          runId: handle.firstExecutionRunId,
          ...(eager ? { eager: handle.eagerlyStarted } : {}),
        };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return { kind: 'duplicate', workflowId: ref.key };
        throw err;
      }
    },
    async ping(ms) {
      // Through the JavaScript client, always: starts fall back to it from a native connection
      // found closed or past a deadline (above), so whether it answers is whether starts get through.
      await withDeadline(
        () => client.workflowService.getSystemInfo({}),
        Math.min(ms ?? timeoutMs, timeoutMs),
      );
    },
    path() {
      if (nativeClient() === undefined) return 'javascript';
      return native!.eager ? 'eager' : 'native';
    },
    async drain() {
      await Promise.all([...inFlight]);
    },
  };
}

/** An error and the errors it wraps (the client wraps what the connection threw). */
function* causes(err: unknown): Generator<Error> {
  for (let e: unknown = err; e instanceof Error; e = e.cause) yield e;
}

/** Whether the call failed on a closed native connection. */
function closedConnection(err: unknown): boolean {
  for (const e of causes(err)) if (e instanceof IllegalStateError) return true;
  return false;
}

/** A start that outlived its deadline without an answer from Temporal (like DEADLINE_EXCEEDED). */
class StartDeadlineError extends Error {
  constructor(ms: number) {
    super(`Temporal did not answer the start within ${ms} ms`);
    this.name = 'StartDeadlineError';
  }
}

/** `call`, or a StartDeadlineError once `ms` have passed (then `onExpiry` is told). */
function raceDeadline<T>(call: Promise<T>, ms: number, onExpiry: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpiry();
      reject(new StartDeadlineError(ms));
    }, ms);
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

// gRPC codes that mean "Temporal is away or overloaded right now", as opposed to "Temporal refuses
// this request" (INVALID_ARGUMENT — say, an unregistered search attribute —, NOT_FOUND, PERMISSION_DENIED…).
const TRANSIENT_CODES = new Set([
  1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */,
  14 /* UNAVAILABLE */,
]);

/** Whether a failed start means Temporal is unreachable (then everything waits in the outbox). */
export function isTemporalUnavailable(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof StartDeadlineError) return true;
    if (isGrpcServiceError(e)) return TRANSIENT_CODES.has(e.code);
  }
  // No gRPC status (the SDK's own errors, such as NamespaceNotFoundError): Temporal answered.
  return false;
}
