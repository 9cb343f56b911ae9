// hookflow/testing's `receive`: an app's handlers run in a test with hookflow's context and Octokit,
// each request answered by the test and recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { receive } from '../../app/testing';
import triage from '../fixtures/apps/triage';
import triageBot from '../../examples/triage-bot/app';

const payload = {
  action: 'opened',
  issue: { number: 5, user: { login: 'mona' } },
  repository: { name: 'app', owner: { login: 'octo' } },
};

test('the handlers for the delivery run, their requests recorded in order, as Octokit built them', async () => {
  const { requests, workflows } = await receive(triage, { event: 'issues', payload }, (call) =>
    call.method === 'GET' ? { data: { full_name: 'octo/app' } } : { status: 201, data: {} },
  );
  assert.deepEqual(
    requests.map((r) => `${r.method} ${r.route}`),
    [
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'GET /repos/{owner}/{repo}',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
    ],
  );
  assert.equal(requests[0].url, 'https://api.github.com/repos/octo/app/issues/5/comments');
  assert.deepEqual({ ...(requests[0].body as object) }, { body: 'Thanks for the report, @mona!' });
  assert.deepEqual(workflows, []);
});

test('an answer the handler does not expect fails it as GitHub would (a RequestError with the status)', async () => {
  await assert.rejects(
    receive(triage, { event: 'issues', payload }, () => ({ status: 422 })),
    (err: unknown) => (err as { status?: number }).status === 422,
  );
});

test('other events run nothing; an app workflow is named, not run', async () => {
  const closed = await receive(triage, { event: 'issues', payload: { ...payload, action: 'closed' } });
  assert.deepEqual(closed.requests, []);
  const pr = await receive(triageBot, { event: 'pull_request', payload: { action: 'opened' } });
  assert.deepEqual(pr, { requests: [], workflows: ['summarisePullRequest'] });
});
