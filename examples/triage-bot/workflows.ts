// The app's Temporal workflow, bundled with hookflow's and run as a child of the delivery's
// workflow. Workflow code is deterministic: every effect is an activity, hookflow's (GitHub) or the
// app's own (activities.ts), so a crash or redeploy resumes it where it was.
import { proxyActivities } from '@temporalio/workflow';
import { github, type DeliveryRef } from 'hookflow/workflow';

// The app's activities (activities.ts) as the workflow calls them: every call returns a promise.
const { summariseFiles } = proxyActivities<{ summariseFiles(files: string[]): Promise<string> }>({
  startToCloseTimeout: '10 seconds',
});

interface PullRequestPayload {
  pull_request: { number: number };
  repository: { name: string; owner: { login: string } };
}

/** Comments a summary of a new pull request's changed files on it; returns the comment. */
export async function summarisePullRequest(ref: DeliveryRef): Promise<string> {
  const gh = github();
  // Only the fields used: a whole payload would be stored in the workflow's history.
  const payload = (await gh.payload(ref, ['pull_request', 'repository'])) as unknown as PullRequestPayload;
  const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
  const number = payload.pull_request.number;
  const files = await gh.paginate<{ filename: string }>(
    ref,
    'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
    { ...where, pull_number: number },
  );
  const body = `Triage bot: ${await summariseFiles(files.map((f) => f.filename))}.`;
  await gh.request(ref, 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    ...where,
    issue_number: number,
    body,
  });
  return body;
}
