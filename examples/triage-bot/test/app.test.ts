// The triage bot's handlers, run by hookflow/testing's `receive`: each GitHub request the app makes
// is answered here and recorded, so the tests assert exactly what the app would send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { receive, type OctokitCall } from 'hookflow/testing';
import { summariseFiles } from '../activities';
import app, { DEFAULT_CONFIG } from '../app';

const issueOpened = (senderType = 'User') => ({
  event: 'issues',
  payload: {
    action: 'opened',
    issue: { number: 7, user: { login: 'mona', type: senderType } },
    repository: { name: 'widgets', owner: { login: 'octo' } },
    sender: { login: 'mona', type: senderType },
  },
});
const CONFIG_URL = 'https://api.github.com/repos/octo/widgets/contents/.github%2Ftriage-bot.yml';

/**
 * Answers as GitHub would: the config file when there is one, raw as context.config asks for it
 * (else 404); 201 and 200 for the comment and the label.
 */
const github = (configFile?: string) => (call: OctokitCall) => {
  if (call.method === 'GET') {
    if (call.url !== CONFIG_URL || configFile === undefined) return undefined;
    return { data: configFile, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }
  return { status: call.url.endsWith('/comments') ? 201 : 200, data: {} };
};
const reads = (requests: OctokitCall[]) => requests.filter((r) => r.method === 'GET').map((r) => r.url);
const writes = (requests: OctokitCall[]) =>
  requests.filter((r) => r.method !== 'GET').map((r) => [r.method, r.url, { ...(r.body as object) }]);

test("a new issue gets the repository's configured comment and label", async () => {
  const yml = 'label: needs-triage\ncomment: Welcome! We look at new issues on Mondays.\n';
  const { requests } = await receive(app, issueOpened(), github(yml));
  assert.deepEqual(reads(requests), [CONFIG_URL], "found in the repository: the organisation's is not read");
  assert.deepEqual(writes(requests), [
    [
      'POST',
      'https://api.github.com/repos/octo/widgets/issues/7/comments',
      { body: 'Welcome! We look at new issues on Mondays.' },
    ],
    ['POST', 'https://api.github.com/repos/octo/widgets/issues/7/labels', { labels: ['needs-triage'] }],
  ]);
});

test('what the config file leaves out comes from the defaults', async () => {
  const { requests } = await receive(app, issueOpened(), github('label: bug?\n'));
  assert.deepEqual(
    writes(requests).map(([, , body]) => body),
    [{ body: DEFAULT_CONFIG.comment }, { labels: ['bug?'] }],
  );
});

test('without a config file, in the repository or the organisation, the defaults apply', async () => {
  const { requests } = await receive(app, issueOpened(), github());
  assert.deepEqual(reads(requests), [
    CONFIG_URL,
    'https://api.github.com/repos/octo/.github/contents/.github%2Ftriage-bot.yml',
  ]);
  assert.deepEqual(writes(requests), [
    ['POST', 'https://api.github.com/repos/octo/widgets/issues/7/comments', { body: DEFAULT_CONFIG.comment }],
    ['POST', 'https://api.github.com/repos/octo/widgets/issues/7/labels', { labels: [DEFAULT_CONFIG.label] }],
  ]);
});

test('an issue opened by a bot is left alone: not even the config is read', async () => {
  const { requests } = await receive(app, issueOpened('Bot'), github());
  assert.deepEqual(requests, []);
});

test("a new pull request starts the app's workflow, and runs no handler", async () => {
  const received = await receive(app, {
    event: 'pull_request',
    payload: { action: 'opened', number: 8, repository: { name: 'widgets', owner: { login: 'octo' } } },
  });
  assert.deepEqual(received, { requests: [], workflows: ['summarisePullRequest'] });
});

test("the workflow's activity counts the changed files by top-level folder", () => {
  assert.equal(
    summariseFiles(['src/a.ts', 'docs/x.md', 'src/b/c.ts', 'README.md']),
    '4 files changed: docs/ (1), README.md (1), src/ (2)',
  );
  assert.equal(summariseFiles(['a.txt']), '1 file changed: a.txt (1)');
  assert.equal(summariseFiles([]), '0 files changed');
});
