// Installations first seen in a delivery (installed before hookflow ran) are recorded `unverified`;
// each reconciliation pass checks them against the API with the App's JWT
// (GET /app/installations/{id}): one GitHub knows becomes `active`; one it does not becomes
// `unknown`, its deliveries refused from then on and those already accepted marked. In token mode
// there is no App to ask, and nothing to verify.
// https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
import { ApiError } from './github/api-error';
import { APP_CALLER } from './github/client';
import { listUnverified, settleUnverified } from '../lib/storage/installations';
import type { ActivityDeps } from './activity-deps';
import { githubCaller } from './github-call';

/** At most this many per pass: the rest wait for the next. */
const PER_PASS = 100;

export function createInstallationVerification(
  deps: Pick<ActivityDeps, 'store' | 'github' | 'api' | 'reconcileSources'>,
) {
  const { github, call } = githubCaller(deps);
  return {
    async verifyInstallations(): Promise<{ verified: number; unknown: number }> {
      // App mode is when the App's own hook is among the logs to reconcile (activities/reconcile/sources.ts).
      if (!deps.reconcileSources?.some((s) => s.asApp)) return { verified: 0, unknown: 0 };
      let verified = 0;
      let unknown = 0;
      for (const id of await listUnverified(deps.store.db, 'github', PER_PASS)) {
        const verdict = await call(() =>
          github()
            .request({
              method: 'GET',
              url: `app/installations/${encodeURIComponent(id)}`,
              route: '/app/installations/{installation_id}',
              installation: APP_CALLER,
              asApp: true,
              requestId: `verify-installation:${id}`,
            })
            .then(
              () => 'active' as const,
              (err: unknown) => {
                if (err instanceof ApiError && err.details.status === 404) return 'unknown' as const;
                throw err;
              },
            ),
        );
        await settleUnverified(deps.store.db, 'github', id, verdict);
        if (verdict === 'active') verified++;
        else unknown++;
      }
      return { verified, unknown };
    },
  };
}
