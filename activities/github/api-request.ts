// What a caller asks of the client, and what a successful call gives back.
import type { RateLimit } from './rate-limit';

export interface ApiRequest {
  method?: string;
  /**
   * A path under the API base, or an absolute URL exactly as the API handed it out: URLs from
   * payloads and Link headers are used as given, never parsed or rebuilt.
   */
  url: string;
  /** The route template, for logs and errors: never the raw URL with its IDs. */
  route: string;
  /** The installation whose token, budget and turn the call uses (ignored for the budget in token mode). */
  installation: string;
  /**
   * Call as the App itself, with its JWT (App mode only): the App's own endpoints, such as its
   * hook's delivery log. Such calls take the App's turn and budget, `installation` `APP_CALLER`.
   */
  asApp?: boolean;
  /** The delivery or job the call is made for, sent as X-Hookflow-Request-Id. */
  requestId: string;
  body?: unknown;
  /** A form body (application/x-www-form-urlencoded) instead of JSON: what `POST /hub` takes. */
  form?: Record<string, string>;
  /** Another media type than GitHub's JSON (`application/vnd.github.raw` for a file's text). */
  accept?: string;
  /** Use the ETag / Last-Modified cache (GET only). */
  conditional?: boolean;
  /**
   * Creates content that notifies people (issues, comments): paced further, since GitHub limits
   * such requests without a Retry-After.
   */
  createsContent?: boolean;
  /**
   * A job's request (a sync's page, a scan's): `requestsLeft` counts it and those still to come,
   * when known. A job runs at full speed while its work fits the budget and never spends the
   * reserve kept for webhook-driven calls (rate-limit.ts).
   */
  job?: { requestsLeft: number | undefined };
  signal?: AbortSignal;
}

export interface ApiResponse<T = unknown> {
  status: number;
  data: T;
  /** The URL that answered, after any redirects. */
  url: string;
  next: string | undefined;
  fromCache: boolean;
  /** Where a permanent redirect said the resource now lives. */
  movedTo: string | undefined;
  rateLimit: RateLimit | undefined;
  /** The answer's media type (a raw file's is not JSON). */
  contentType: string | undefined;
  /** Time this call waited for its turn's pacing before it was sent. */
  waitedMs: number;
  /** Pages after this one, when the listing numbers its pages (link.ts `pagesAfter`). */
  pagesAfter: number | undefined;
}
