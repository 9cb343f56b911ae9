// The GitHub client as the activities call it. Every API error leaves an activity as the Temporal
// failure toTemporalFailure makes of it (activities/to-temporal-failure.ts), nowhere else, so the
// workflows see one vocabulary of failures whichever activity met the error.
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../lib/contracts/failure-types';
import type { ActivityDeps } from './activity-deps';
import { toTemporalFailure, type FailurePolicy } from './to-temporal-failure';
import type { GitHubClient } from './github/client';

export interface GitHubCaller {
  /** The client; a non-retryable failure when hookflow has no credentials (a retry cannot bring them). */
  github: () => GitHubClient;
  /** Runs `fn`, turning an API error into its Temporal failure. */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  policy: FailurePolicy;
}

export function githubCaller(deps: Pick<ActivityDeps, 'github' | 'api'>): GitHubCaller {
  const policy: FailurePolicy = { backoffBaseMs: deps.api.backoffBaseMs, retryWaitMs: deps.api.retryWaitMs };
  return {
    policy,
    github: () => {
      if (!deps.github) {
        throw ApplicationFailure.nonRetryable(
          'hookflow has no GitHub credentials: set APP_ID and PRIVATE_KEY (App mode) or GITHUB_TOKEN',
          FAILURE.notConfigured,
        );
      }
      return deps.github;
    },
    call: async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw toTemporalFailure(err, policy);
      }
    },
  };
}
