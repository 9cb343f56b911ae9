// hookflow's public entry point: what a user's app imports. An app is a function of the `App`
// (Probot's app API); its handlers receive a `Context` (app/README.md).
import type { AppFunction } from './app/app';

export type { App, AppFunction, AppFunctionOptions, ErrorHandler, Handler, HandlerError } from './app/app';
export type { Context } from './app/context';
export type { HandlerOctokit } from './app/octokit';

/** Types an app function, so its handlers' contexts are typed by event: `export default defineApp((app) => …)`. */
export function defineApp(fn: AppFunction): AppFunction {
  return fn;
}
