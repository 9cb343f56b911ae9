// loadApp turns a user's module into a registered app, or stops the start with an AppLoadError that
// names the file as given and the problem; createContext gives handlers Probot's helpers with
// Probot's meaning. Fixtures: test/fixtures/apps/unit/ loads, test/fixtures/apps/bad/ must not.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import examples from '@octokit/webhooks-examples/api.github.com/index.json';
import { createContext } from '../../app/context';
import { AppLoadError, loadApp, type LoadedApp } from '../../app/load-app';
import { createLogger } from '../../lib/logger';
import { handlers as anyHandlers } from '../fixtures/apps/unit/any';
import { handlers } from '../fixtures/apps/unit/handlers';

const logger = createLogger('silent');
const APPS = path.join(__dirname, '..', 'fixtures', 'apps');
// Relative to the working directory, as a user gives HOOKFLOW_APP: the message must keep it as given.
const bad = (name: string) => path.relative(process.cwd(), path.join(APPS, 'bad', name));
const good = (name: string) => path.relative(process.cwd(), path.join(APPS, 'unit', name));

async function assertLoadError(file: string, ...problem: RegExp[]): Promise<AppLoadError> {
  let caught: unknown;
  await assert.rejects(loadApp(file, logger), (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof AppLoadError, `not an AppLoadError: ${String(caught)}`);
  assert.equal(caught.name, 'AppLoadError');
  assert.ok(caught.message.includes(file), `the message does not name ${file}: ${caught.message}`);
  for (const re of problem) assert.match(caught.message, re);
  return caught;
}

const ids = (loaded: LoadedApp) => loaded.app.registrations.map((r) => r.id);
const handlersOf = (loaded: LoadedApp, event: string, action: string | null) =>
  loaded.handlersFor(event, action).map((r) => (r.kind === 'handler' ? r.handler : r.workflowType));

describe('loadApp: a module that cannot load', () => {
  test('a .js file with a syntax error', async () => {
    const err = await assertLoadError(bad('syntax-error.js'), /cannot load the app/, /Expected "\)"/);
    assert.ok(err.cause, 'the syntax error is kept as the cause');
  });

  test('a .ts file with a syntax error', async () => {
    await assertLoadError(bad('syntax-error-in-types.ts'), /cannot load the app/, /Unexpected ";"/);
  });

  test('a module that does not exist', async () => {
    await assertLoadError(bad('no-such-app.js'), /no such file or folder/, /\.js, \.cjs, \.mjs or \.ts/);
  });

  test('a folder without an entry point', async () => {
    await assertLoadError(bad('no-entry'), /has no entry point/, /package\.json "main" or index\.js/);
  });
});

describe('loadApp: a module that exports no app function', () => {
  const HOW =
    /not an app function: export one, as module\.exports = \(app\) =>.* or export default \(app\) =>/;

  test('an object: says so, with its keys', async () => {
    await assertLoadError(bad('exports-object.js'), /exports an object \(name, events\)/, HOW);
  });

  test('a number', async () => {
    await assertLoadError(bad('exports-number.js'), /exports a number/, HOW);
  });

  test('nothing (the empty module.exports)', async () => {
    await assertLoadError(bad('exports-nothing.js'), /exports nothing \(an empty object\),/, HOW);
  });
});

describe('loadApp: an app function that registers wrongly', () => {
  test('an unknown event name is named', async () => {
    await assertLoadError(
      bad('unknown-event.js'),
      /failed to start/,
      /"issues\.openned" is not a known webhook name/,
    );
  });

  test("app.on('*', …) points to onAny", async () => {
    await assertLoadError(bad('on-star.js'), /"\*" event/, /onAny\(\)/);
  });

  test('app.on([], …)', async () => {
    await assertLoadError(bad('on-no-events.js'), /app\.on\(\[\], …\): name at least one event/);
  });

  test('a handler that is not a function names the call and what it got', async () => {
    await assertLoadError(
      bad('handler-not-function.js'),
      /app\.on\("issues\.opened", …\): the handler is a string, not a function/,
    );
  });

  test('app.onError(42)', async () => {
    await assertLoadError(
      bad('on-error-number.js'),
      /app\.onError\(…\): the handler is a number, not a function/,
    );
  });

  test('no handler at all says how to register one', async () => {
    await assertLoadError(
      bad('no-handler.js'),
      /registers no handler: call app\.on\('<event>', handler\) or app\.onAny\(handler\)/,
    );
  });
});

describe('loadApp: an app function that fails', () => {
  test('it throws: its message, and the error as cause', async () => {
    const err = await assertLoadError(bad('throws.js'), /failed to start: GREETING is not set/);
    assert.ok(err.cause instanceof Error);
    assert.equal(err.cause.message, 'GREETING is not set');
  });

  test('an async one rejects', async () => {
    await assertLoadError(bad('rejects.js'), /failed to start: could not read the labels file/);
  });

  test('getRouter() from the second argument names the alternative', async () => {
    await assertLoadError(
      bad('get-router.js'),
      /getRouter\(\) is not available on hookflow/,
      /serve other HTTP routes from a server of your own/,
    );
  });

  test('getRouter is absent, as under Probot without its server: an app that checks for it loads', async () => {
    const loaded = await loadApp(good('checks-router.js'), logger);
    assert.deepEqual(
      loaded.app.registrations.map((r) => r.id),
      ['issues.opened#1'],
    );
  });

  test('app.route() names the alternative', async () => {
    await assertLoadError(
      bad('route.js'),
      /app\.route\(\) is not available on hookflow/,
      /serve other HTTP routes from a server of your own/,
    );
  });
});

describe('loadApp: apps that load', () => {
  const cases: [what: string, file: string, ids: string[]][] = [
    ['CommonJS module.exports', good('commonjs.js'), ['issues.opened#1']],
    ['an ES module (.mjs) export default', good('esm.mjs'), ['issues.opened#1']],
    [
      'an ES module with top-level await (through import())',
      good('esm-top-level-await.mjs'),
      ['issues.opened#1'],
    ],
    ['TypeScript export default', good('typescript.ts'), ['issues.opened#1']],
    ['a package folder, by its package.json main', good('package-app'), ['pull_request.opened#1']],
    ['an async app function, awaited before counting', good('async-app.js'), ['issues.opened#1']],
    ['app.load(fn) and app.load([fn])', good('load-other.js'), ['issues.opened#1', '*#1']],
  ];
  for (const [what, file, expected] of cases) {
    test(what, async () => {
      const loaded = await loadApp(file, logger);
      assert.equal(loaded.file, file);
      assert.deepEqual(ids(loaded), expected);
    });
  }

  // Under tsx, a require() from a .ts module takes a sibling x.ts for x.js: the file given must be the one loaded.
  test('a .js app beside a .ts of the same name: the .js given is what loads', async () => {
    const loaded = await loadApp(good('beside-ts.js'), logger);
    assert.deepEqual(ids(loaded), ['issues.opened#1']);
  });
});

describe('loadApp: handler IDs and matching', () => {
  test('IDs count registrations per exact event list, in order', async () => {
    const loaded = await loadApp(good('handlers.ts'), logger);
    assert.deepEqual(ids(loaded), [
      'issues.opened#1',
      'issues.opened#2',
      'issues#1',
      'issues.closed#1',
      'issues,pull_request.opened#1',
    ]);
    assert.equal(loaded.handler('issues.opened#2')?.handler, handlers.openedAgain);
    assert.deepEqual(loaded.handler('issues,pull_request.opened#1')?.events, [
      'issues',
      'pull_request.opened',
    ]);
    assert.equal(loaded.handler('issues.opened#3'), undefined);
  });

  test('handlersFor takes the event alone and the event with its action, not another action', async () => {
    const loaded = await loadApp(good('handlers.ts'), logger);
    const { opened, openedAgain, anyIssue, closed, issuesOrNewPull } = handlers;
    assert.deepEqual(handlersOf(loaded, 'issues', 'opened'), [
      opened,
      openedAgain,
      anyIssue,
      issuesOrNewPull,
    ]);
    assert.deepEqual(handlersOf(loaded, 'issues', 'closed'), [anyIssue, closed, issuesOrNewPull]);
    assert.deepEqual(handlersOf(loaded, 'issues', null), [anyIssue, issuesOrNewPull]);
    assert.deepEqual(handlersOf(loaded, 'pull_request', 'opened'), [issuesOrNewPull]);
    assert.deepEqual(handlersOf(loaded, 'pull_request', 'closed'), []);
  });

  test('handles() is whether any handler takes the event', async () => {
    const loaded = await loadApp(good('handlers.ts'), logger);
    assert.equal(loaded.handles('issues', 'reopened'), true);
    assert.equal(loaded.handles('pull_request', 'opened'), true);
    assert.equal(loaded.handles('pull_request', 'closed'), false);
    assert.equal(loaded.handles('push', null), false);
  });

  test('onAny: `*#n`, taking every event; onError handlers are kept', async () => {
    const loaded = await loadApp(good('any.ts'), logger);
    assert.deepEqual(ids(loaded), ['*#1', 'push#1', '*#2']);
    const { every, everyAgain, push } = anyHandlers;
    assert.deepEqual(handlersOf(loaded, 'issues', 'opened'), [every, everyAgain]);
    assert.deepEqual(handlersOf(loaded, 'push', null), [every, push, everyAgain]);
    assert.equal(loaded.handles('workflow_run', 'completed'), true);
    assert.deepEqual(loaded.app.errorHandlers, [anyHandlers.onError]);
  });
});

describe('createContext: Probot’s helpers', () => {
  const groups = examples as { name: string; examples: Record<string, unknown>[] }[];
  const example = (event: string, action: string) => {
    const payload = groups.find((g) => g.name === event)?.examples.find((p) => p.action === action);
    assert.ok(payload, `no ${event}.${action} example`);
    return payload;
  };
  const contextFor = (event: string, payload: Record<string, unknown>) =>
    createContext({
      deliveryId: 'd-1',
      deliveryKey: 'github:7:d-1',
      event,
      payload,
      log: logger,
      octokit: {} as never,
    });

  test('repo(), issue({ body }) and the delivery', () => {
    const context = contextFor('issues', example('issues', 'opened'));
    assert.equal(context.id, 'd-1');
    assert.equal(context.name, 'issues');
    assert.equal(context.deliveryKey, 'github:7:d-1');
    assert.deepEqual(context.repo(), { owner: 'Codertocat', repo: 'Hello-World' });
    assert.deepEqual(context.repo({ path: 'README.md' }), {
      owner: 'Codertocat',
      repo: 'Hello-World',
      path: 'README.md',
    });
    assert.deepEqual(context.issue({ body: 'Thanks!' }), {
      owner: 'Codertocat',
      repo: 'Hello-World',
      issue_number: 1,
      body: 'Thanks!',
    });
    assert.equal(context.isBot, false);
  });

  test('pullRequest()', () => {
    const context = contextFor('pull_request', example('pull_request', 'opened'));
    assert.deepEqual(context.pullRequest(), { owner: 'Codertocat', repo: 'Hello-World', pull_number: 2 });
  });

  test('isBot when the sender is a Bot account', () => {
    const payload = example('check_suite', 'rerequested');
    assert.equal((payload.sender as { type: string }).type, 'Bot');
    assert.equal(contextFor('check_suite', payload).isBot, true);
  });

  test('repo() on a payload without a repository says so, naming the event', () => {
    const context = contextFor('installation', example('installation', 'created'));
    const message =
      /context\.repo\(\) is not supported for this webhook event \(installation\): its payload names no repository/;
    assert.throws(() => context.repo(), message);
    assert.throws(() => context.issue(), message);
  });
});
