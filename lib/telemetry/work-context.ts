// What a piece of work is for, carried with it through every `await` (AsyncLocalStorage): the
// worker's activity interceptor sets it, log lines and API spans read it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface WorkContext {
  /** The delivery key (`provider:hookId:deliveryId`), when the work is a delivery's. */
  delivery?: string;
  workflowId: string;
  workflowType: string;
  activity: string;
  /** The activity's attempt, from 1. */
  attempt: number;
}

const storage = new AsyncLocalStorage<WorkContext>();

export const workContext = {
  run: <T>(work: WorkContext, fn: () => T): T => storage.run(work, fn),
  current: (): WorkContext | undefined => storage.getStore(),
};
