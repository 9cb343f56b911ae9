// Loads a user's app: a module (CommonJS or ESM, .js or .ts) or a package folder whose export is the
// app function `(app) => { app.on(…) }`, as `probot run` takes it. Every way it can be wrong — not
// found, not loadable, not a function, an unknown event, a handler that is not a function, no
// handler at all — stops the start with an AppLoadError that names the file and the problem.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../lib/logger';
import { importModule, validateEventNameFn } from './import-module';
import {
  App,
  appFunctionOptions,
  describe,
  matching,
  NO_ROUTER,
  type AppFunction,
  type AppWorkflows,
  type Registration,
} from './app';
import { WORKFLOW_TYPES } from '../lib/temporal/workflow-type';

type HandlerRegistration = Extract<Registration, { kind: 'handler' }>;

export class AppLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

/** An app, loaded and registered: what the worker runs and the server routes by. */
export interface LoadedApp {
  /** The module as given, for messages. */
  file: string;
  app: App;
  /** The handlers for an event with its action, in registration order. */
  handlersFor(event: string, action: string | null): Registration[];
  /** Whether any handler takes the event (what the front door routes by). */
  handles(event: string, action: string | null): boolean;
  handler(id: string): HandlerRegistration | undefined;
  /** The app's workflows module (resolved) and activities, when it has one (`app.workflows`). */
  workflows: { path: string; activities: AppWorkflows['activities'] } | undefined;
}

/** The module's path: a file, or a package folder's entry. */
function resolveModule(file: string): string {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) {
    throw new AppLoadError(
      `cannot load the app ${file}: no such file or folder (give a .js, .cjs, .mjs or .ts file, or a package folder)`,
    );
  }
  try {
    return statSync(absolute).isDirectory() ? require.resolve(absolute) : absolute;
  } catch (err) {
    throw new AppLoadError(
      `cannot load the app ${file}: the folder has no entry point Node can find (package.json "main" or index.js): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function importApp(file: string, resolved: string): Promise<unknown> {
  try {
    // require() first: it takes CommonJS, TypeScript (through tsx) and ES modules without top-level
    // await. A require of the module's own, so the file named is the file loaded: required from a
    // .ts file, tsx would take a neighbouring x.ts for x.js.
    return createRequire(resolved)(resolved) as unknown;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // An ES module with top-level await, or one Node will not require(): import() takes it.
    if (code === 'ERR_REQUIRE_ASYNC_MODULE' || code === 'ERR_REQUIRE_ESM') {
      try {
        return await importModule(pathToFileURL(resolved).href);
      } catch (importErr) {
        throw new AppLoadError(`cannot load the app ${file}: ${(importErr as Error).message}`, {
          cause: importErr,
        });
      }
    }
    throw new AppLoadError(`cannot load the app ${file}: ${String((err as Error)?.message ?? err)}`, {
      cause: err,
    });
  }
}

/** The app function among a module's exports: `module.exports`, `export default`, or a transpiled default. */
function appFunction(file: string, exported: unknown): AppFunction {
  let value = exported;
  for (let i = 0; i < 2 && typeof value !== 'function'; i++) {
    if (value === null || typeof value !== 'object' || !('default' in value)) break;
    value = value.default;
  }
  if (typeof value === 'function') return value as AppFunction;
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  const what =
    keys.length > 0
      ? `${describe(value)} (${keys.join(', ')})`
      : describe(value) === 'an object'
        ? 'nothing (an empty object)'
        : describe(value);
  throw new AppLoadError(
    `the app ${file} exports ${what}, not an app function: export one, as module.exports = (app) => { app.on(…) } or export default (app) => { … }`,
  );
}

export async function loadApp(file: string, logger: Logger): Promise<LoadedApp> {
  const resolved = resolveModule(file);
  const fn = appFunction(file, await importApp(file, resolved));
  const app = new App(logger.child({ app: path.basename(file) }), await validateEventNameFn());
  try {
    await fn(app, appFunctionOptions());
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const why = /getRouter is not a function/.test(message) ? `${message}: ${NO_ROUTER()}` : message;
    throw new AppLoadError(`the app ${file} failed to start: ${why}`, { cause: err });
  }
  if (app.registrations.length === 0) {
    throw new AppLoadError(
      `the app ${file} registers no handler: call app.on('<event>', handler) or app.onAny(handler) in its app function`,
    );
  }
  const byId = new Map(app.registrations.flatMap((r) => (r.kind === 'handler' ? [[r.id, r] as const] : [])));
  return {
    file,
    app,
    handlersFor: (event, action) => matching(app.registrations, event, action),
    handles: (event, action) => matching(app.registrations, event, action).length > 0,
    handler: (id) => byId.get(id),
    workflows: checkWorkflows(file, resolved, app),
  };
}

/**
 * The app's workflows module, checked at start: it loads, exports every workflow the app runs, and
 * takes no name of hookflow's own workflows (its exports are bundled beside them, by name).
 */
function checkWorkflows(file: string, appPath: string, app: App): LoadedApp['workflows'] {
  const wanted = app.registrations.flatMap((r) => (r.kind === 'workflow' ? [r.workflowType] : []));
  const given = app.workflowModule;
  if (!given) {
    if (wanted.length > 0)
      throw new AppLoadError(
        `the app ${file} runs workflow ${wanted[0]} but names no workflows module: call app.workflows(require.resolve('./workflows')) first`,
      );
    return undefined;
  }
  const modulePath = path.resolve(path.dirname(appPath), given.module);
  let exported: Record<string, unknown>;
  try {
    // Loaded here only to list its exports; it runs in the worker's workflow sandbox.
    exported = createRequire(appPath)(modulePath) as Record<string, unknown>;
  } catch (err) {
    throw new AppLoadError(
      `the app ${file}: cannot load its workflows module ${given.module}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
  const taken = Object.keys(exported).filter((name) => WORKFLOW_TYPES.includes(name));
  if (taken.length > 0)
    throw new AppLoadError(
      `the app ${file}: its workflows module ${given.module} exports ${taken.join(', ')}, a name of hookflow's own workflows: rename it`,
    );
  for (const type of wanted) {
    if (typeof exported[type] !== 'function')
      throw new AppLoadError(
        `the app ${file} runs workflow ${type}, but its workflows module ${given.module} exports ${type === '' ? 'no such name' : describe(exported[type])} by that name (it exports ${Object.keys(exported).join(', ') || 'nothing'})`,
      );
  }
  return { path: modulePath, activities: given.activities };
}
