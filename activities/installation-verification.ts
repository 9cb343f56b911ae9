// Installations first seen in a delivery (installed before hookflow ran) are recorded `unverified`;
// each reconciliation pass checks them against the API with the App's JWT
// (GET /app/installations/{id}): one GitHub knows becomes `active`; one it does not becomes
// `unknown`, its deliveries refused from then on and those already accepted marked. A 404 counts
// only once the App's own endpoint answers (GET /app), so a wrong APP_ID or API URL marks nothing,
// and unknown ones are checked again a day later. In token mode there is no App to ask.
// https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
import { Context } from '@temporalio/activity';
import { ApiError } from './github/api-error';
import { APP_CALLER, type GitHubClient } from './github/client';
import { listUnverified, settleUnverified, touchInstallation } from '../lib/storage/installations';
import type { ActivityDeps } from './activity-deps';
import { githubCaller } from './github-call';
import { toTemporalFailure } from './to-temporal-failure';

/** At most this many per pass: the rest wait for the next. */
const PER_PASS = 100;
/** Errors that say nothing of one installation: the App's access, its rate limit, its turn. */
const NOT_ABOUT_THE_INSTALLATION = new Set(['rate-limited', 'busy', 'unauthorized', 'forbidden']);

const asApp = (github: GitHubClient, url: string, route: string, requestId: string) =>
  github.request({ method: 'GET', url, route, installation: APP_CALLER, asApp: true, requestId });

export function createInstallationVerification(
  deps: Pick<ActivityDeps, 'store' | 'github' | 'api' | 'reconcileSources' | 'logger'>,
) {
  const { github, call, policy } = githubCaller(deps);
  return {
    async verifyInstallations(): Promise<{ verified: number; unknown: number; skipped: number }> {
      const counts = { verified: 0, unknown: 0, skipped: 0 };
      // App mode is when the App's own hook is among the logs to reconcile (activities/reconcile/sources.ts).
      if (!deps.reconcileSources?.some((s) => s.asApp)) return counts;
      const ids = await listUnverified(deps.store.db, 'github', PER_PASS);
      if (ids.length === 0) return counts;
      // The App itself answers: only then does a 404 for an installation mean "unknown".
      await call(() => asApp(github(), 'app', '/app', 'verify-installations'));
      for (const id of ids) {
        Context.current().heartbeat();
        let verdict: 'active' | 'unknown' | undefined;
        try {
          await asApp(
            github(),
            `app/installations/${encodeURIComponent(id)}`,
            '/app/installations/{installation_id}',
            `verify-installation:${id}`,
          );
          verdict = 'active';
        } catch (err) {
          if (err instanceof ApiError && err.details.status === 404) verdict = 'unknown';
          else if (err instanceof ApiError && !NOT_ABOUT_THE_INSTALLATION.has(err.kind)) {
            // Something about this one (a 5xx that outlasted its retries, a 422): the others go on.
            deps.logger.warn(
              { installation: id, err },
              'installation could not be checked; next pass tries again',
            );
            await touchInstallation(deps.store.db, 'github', id);
            counts.skipped++;
            continue;
          } else {
            // The App's access, its rate limit or its turn: the pass's retry and wait rules apply.
            throw toTemporalFailure(err, policy);
          }
        }
        await settleUnverified(deps.store.db, 'github', id, verdict);
        if (verdict === 'active') counts.verified++;
        else {
          counts.unknown++;
          deps.logger.warn(
            { installation: id },
            'installation unknown to GitHub: its deliveries are refused from now on, and those accepted are marked',
          );
        }
      }
      return counts;
    },
  };
}
