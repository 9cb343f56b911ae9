import type { ActivityOptions } from '@temporalio/workflow';

/** Delivery activities touch only hookflow's own storage: short, retried a few times, then the delivery fails visibly. */
export const DELIVERY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['PayloadUnavailable'],
  },
};
