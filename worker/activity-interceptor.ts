// hookflow's own activity interceptor, inside Temporal's OpenTelemetry one: it gives each
// activity's work its context (delivery, activity, attempt) for log lines and API spans, marks the
// activity span with the delivery it serves, turns a storage error that no retry can cure into a
// failure that is not retried, and counts what only the worker sees for the metrics: retries, sync
// job results and delivery workflow outcomes.
import { trace } from '@opentelemetry/api';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, TemporalFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';
import { FAILURE } from '../lib/contracts/failure-types';
import { storageRejection } from '../lib/storage/storage-rejection';
import { deliveryAttributes, isDeliveryRef } from '../lib/telemetry/attributes';
import type { Metrics } from '../lib/telemetry/metrics';
import { workContext } from '../lib/telemetry/work-context';
import type { WorkflowType } from '../lib/temporal/workflow-type';

type Counted = Pick<Metrics, 'recordRetry' | 'recordSyncJob' | 'recordDeliveryWorkflow'>;

const RETRY_REASONS: Record<string, string> = {
  [FAILURE.server]: 'server_error',
  [FAILURE.rateLimited]: 'rate_limited',
  [FAILURE.rateLimitWait]: 'rate_limited',
  [FAILURE.busy]: 'busy',
};

/**
 * A storage error that the same statement would meet again (bad data, a violated constraint) fails
 * its activity at once instead of after every attempt of its retry policy; anything else, and a
 * failure the activity raised itself, is thrown as it is.
 */
export function withoutHopelessRetries(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err;
  const rejection = storageRejection(err);
  if (!rejection) return err;
  return ApplicationFailure.create({
    type: FAILURE.storageRejected,
    message: `storage refused the write (SQLSTATE ${rejection.sqlState}): ${rejection.message}`,
    nonRetryable: true,
    ...(err instanceof Error ? { cause: err } : {}),
  });
}

/** Whether an activity's error ends its workflow's job rather than waiting or retrying. */
function isFinal(err: unknown): boolean {
  if (err instanceof CancelledFailure) return false;
  if (!(err instanceof ApplicationFailure)) return false;
  // A long rate-limit wait is non-retryable only because the workflow's timer does the waiting.
  return err.nonRetryable === true && err.type !== FAILURE.rateLimitWait;
}

export function hookflowActivityInterceptor(metrics: Counted | undefined) {
  return (ctx: Context): ActivityInterceptors => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const { info } = ctx;
        const [first, second] = input.args;
        const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
        const workflowType = info.workflowType ?? '';
        const delivery = isDeliveryRef(first)
          ? first.key
          : info.activityType === 'finishDelivery' && typeof first === 'string'
            ? first
            : undefined;
        if (isDeliveryRef(first)) trace.getActiveSpan()?.setAttributes(deliveryAttributes(first));
        else if (delivery) trace.getActiveSpan()?.setAttribute('hookflow.delivery.key', delivery);
        const work = {
          ...(delivery ? { delivery } : {}),
          workflowId,
          workflowType,
          activity: info.activityType,
          attempt: info.attempt,
        };
        return workContext.run(work, async () => {
          try {
            const result: unknown = await next(input);
            if (info.activityType === 'finishSync') metrics?.recordSyncJob('completed');
            if (info.activityType === 'finishDelivery' && (second === 'completed' || second === 'failed'))
              metrics?.recordDeliveryWorkflow(second);
            return result;
          } catch (thrown) {
            const err = withoutHopelessRetries(thrown);
            if (isFinal(err)) {
              if (workflowType === ('syncRepository' satisfies WorkflowType))
                metrics?.recordSyncJob('failed');
            } else if (!(err instanceof CancelledFailure)) {
              // A long rate-limit wait (the workflow's timer, then a new attempt) counts as a retry too.
              const type = err instanceof ApplicationFailure ? (err.type ?? '') : '';
              metrics?.recordRetry(RETRY_REASONS[type] ?? 'other');
            }
            throw err;
          }
        });
      },
    };
    return { inbound };
  };
}
