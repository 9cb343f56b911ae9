// For `npm run bench:sync`: what a webhook handler's calls wait while a long sync of the same
// installation spends the budget. The job paces itself to the quota; a webhook's call goes through
// the same client, takes the same installation's turn, and may use the reserve the job never spends.
// Measured: each call's time in hookflow's client (the provider's own latency taken off) beside the
// job's pacing interval (the median gap between its requests in the same run).
import type { GitHubClient } from '../activities/github/client';
import { ApiError } from '../activities/github/api-error';
import type { FakeGitHub } from '../test/fake-github/server';

export interface WebhookWaits {
  /** Calls made during the job. */
  calls: number;
  /** Calls the client sent back as a rate limit longer than it waits inline (a handler would retry them later). */
  deferred: number;
  /** The calls' waits in the client, ms: median, worst. */
  p50Ms: number;
  maxMs: number;
  /** The job's median gap between two of its requests during the same time, ms. */
  pacingMs: number;
  /** Requests of the credential the provider refused or recorded as breaking a limit, job and calls together. */
  violations: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};

/**
 * Calls `GET /repos/{repo}` as a webhook handler would (not as a job), every `everyMs`, until `job`
 * settles; then reads the job's own requests from the provider's log.
 */
export async function webhookCallsDuringSync(opts: {
  github: GitHubClient;
  fake: FakeGitHub;
  credential: string;
  repo: string;
  latencyMs: number;
  everyMs: number;
  job: Promise<unknown>;
}): Promise<WebhookWaits> {
  const since = opts.fake.requests.length;
  const from = Date.now();
  let settled = false;
  void opts.job.finally(() => (settled = true)).catch(() => undefined);
  const waits: number[] = [];
  let deferred = 0;
  for (let n = 0; !settled; n++) {
    const started = performance.now();
    try {
      await opts.github.request({
        url: `repos/${opts.repo}`,
        route: '/repos/{owner}/{repo}',
        installation: 'token',
        requestId: `webhook-${n}`,
      });
      waits.push(performance.now() - started - opts.latencyMs);
    } catch (err) {
      if (!(err instanceof ApiError && err.kind === 'rate-limited')) throw err;
      deferred++;
    }
    const rest = opts.everyMs - (performance.now() - started);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  await opts.job;
  const jobStarts = opts.fake.requests
    .slice(since)
    // The job's own requests, its budget probes left out.
    .filter(
      (r) =>
        r.credential === opts.credential && !r.requestId?.startsWith('webhook-') && r.path !== '/rate_limit',
    )
    .map((r) => r.start)
    .sort((a, b) => a - b);
  return {
    calls: waits.length + deferred,
    deferred,
    p50Ms: median(waits),
    maxMs: Math.max(0, ...waits),
    pacingMs: median(jobStarts.slice(1).map((t, i) => t - jobStarts[i])),
    violations: opts.fake.violations.filter((v) => v.credential === opts.credential && v.at >= from).length,
  };
}
