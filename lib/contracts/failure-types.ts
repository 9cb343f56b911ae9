// Every `ApplicationFailure` type hookflow raises, in one registry. Activities raise them, workflow
// retry policies list them in `nonRetryableErrorTypes`, and the worker counts them; recorded
// workflow histories carry them, so a value here never changes once released.
// A contract: deterministic, no imports, so workflow code may use it.

export const FAILURE = {
  // API calls (activities/to-temporal-failure.ts).
  validation: 'ValidationFailed',
  accessLost: 'AccessLost',
  notFound: 'NotFound',
  rejected: 'RequestRejected',
  server: 'ServerError',
  rateLimited: 'RateLimited',
  rateLimitWait: 'RateLimitWait',
  busy: 'InstallationBusy',
  notConfigured: 'ApiNotConfigured',
  // Deliveries.
  /** Retention purged the stored payload, or its installation was deleted: no retry brings it back. */
  payloadUnavailable: 'PayloadUnavailable',
  /** The payload lacks a field its event always carries (an `installation` event without one). */
  malformedPayload: 'MalformedPayload',
  /** The installation is registered to another hook than the one that sent the delivery. */
  installationOwnedElsewhere: 'InstallationOwnedElsewhere',
  /** What a delivery workflow fails with, after writing the failure to the ledger. */
  deliveryFailed: 'DeliveryFailed',
  // Users' handlers (app/README.md).
  /** A handler threw its own error (not a transient API failure): the delivery fails visibly. */
  handlerFailed: 'HandlerFailed',
  /** The worker's app has no handler by the planned name (another app, or a changed one, was deployed). */
  handlerMissing: 'HandlerMissing',
  // Storage.
  /** A storage error the same statement would meet again (bad data, a violated constraint). */
  storageRejected: 'StorageRejected',
} as const;

/** Failures that mean "wait `details[0].waitMs`, then call again". */
export const RATE_LIMIT_TYPES: readonly string[] = [FAILURE.rateLimited, FAILURE.rateLimitWait, FAILURE.busy];

/** The details a rate-limit failure carries. */
export interface WaitDetails {
  waitMs: number;
  limit: string | undefined;
}
