// The failure types API activities raise, shared by activities (which raise them) and workflows
// (which wait out the rate-limit ones). No imports: workflow code may use it.

export const FAILURE = {
  validation: 'ValidationFailed',
  accessLost: 'AccessLost',
  notFound: 'NotFound',
  rejected: 'RequestRejected',
  server: 'ServerError',
  rateLimited: 'RateLimited',
  rateLimitWait: 'RateLimitWait',
  busy: 'InstallationBusy',
  notConfigured: 'ApiNotConfigured',
} as const;

/** Failures that mean "wait `details[0].waitMs`, then call again". */
export const RATE_LIMIT_TYPES: readonly string[] = [FAILURE.rateLimited, FAILURE.rateLimitWait, FAILURE.busy];

export interface WaitDetails {
  waitMs: number;
  limit: string | undefined;
}
