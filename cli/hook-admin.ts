// The CLI's way to administer GitHub hooks and PubSubHubbub subscriptions: hookflow's API client in
// token mode (GITHUB_TOKEN; budgets, backoff and pacing as everywhere), hookflow's storage, and the
// sealer of hook secrets. A refusal from GitHub is explained in terms of the token's rights.
import { githubClientFrom } from '../activities/github/from-config';
import type { ApiRequest, ApiResponse } from '../activities/github/api-request';
import { ApiError } from '../activities/github/api-error';
import type { Config } from '../lib/config';
import type { Sealer } from '../lib/crypto';
import { createLogger } from '../lib/logger';
import type { Store } from '../lib/storage';
import { CliError, hookSealer, withStore } from './connect';

export type Call = <T = unknown>(
  method: string,
  path: string,
  route: string,
  body?: unknown,
) => Promise<ApiResponse<T>>;

/** An API error as a person can act on it: a refusal names the token's rights. */
export function explained(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const { status, method, route } = err.details;
  if (status === 401 || status === 403 || status === 404)
    return new CliError(
      `GitHub answered ${status} to ${method} ${route}: check that it exists and that GITHUB_TOKEN may administer its hooks (the admin:repo_hook scope, admin:org_hook for organizations, and admin rights there)`,
    );
  return new CliError(`GitHub: ${err.message}`);
}

/** Runs `fn` with the ledger's storage, hookflow's API client in token mode and the sealer of hook secrets. */
export async function withHooks<T>(
  config: Config,
  fn: (deps: {
    store: Store;
    call: Call;
    raw: Call;
    /** POSTs a form (application/x-www-form-urlencoded), as `POST /hub` wants; its errors as they come (see `explained`). */
    postForm: (path: string, route: string, form: NonNullable<ApiRequest['form']>) => Promise<ApiResponse>;
    sealer: Sealer;
  }) => Promise<T>,
): Promise<T> {
  if (config.api.token === undefined) {
    throw new CliError(
      'managing hooks needs GITHUB_TOKEN: a token that may administer the hooks (the admin:repo_hook scope, admin:org_hook for organization hooks)',
    );
  }
  const sealer = hookSealer(config);
  return withStore(config, async (store) => {
    const logger = createLogger('warn', 'hookflow-cli', process.stderr);
    // Hooks are managed with the token, even where the App is configured too.
    const github = githubClientFrom({ ...config, appId: undefined, privateKey: undefined }, store, logger)!;
    const raw: Call = <T>(method: string, path: string, route: string, body?: unknown) =>
      github.request<T>({
        method,
        url: path,
        route,
        installation: 'token',
        requestId: `cli:hooks:${method}`,
        body,
      });
    const call: Call = <T>(method: string, path: string, route: string, body?: unknown) =>
      raw<T>(method, path, route, body).catch((err: unknown) => {
        throw explained(err);
      });
    const postForm = (path: string, route: string, form: NonNullable<ApiRequest['form']>) =>
      github.request({
        method: 'POST',
        url: path,
        route,
        installation: 'token',
        requestId: 'cli:hub:POST',
        form,
      });
    return fn({ store, call, raw, postForm, sealer });
  });
}
