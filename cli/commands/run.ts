// `hookflow run <app>`: hookflow on its embedded default (as `npm start`) with a user's app loaded —
// a module or package folder exporting `(app) => { app.on(…) }`, a Probot app included. The same as
// HOOKFLOW_APP=<app> npm start; the split deployment sets HOOKFLOW_APP on the server and the workers.
import path from 'node:path';
import type { Command } from 'commander';
import { runMain } from '../../lib/main';

export function runCommand(program: Command): void {
  program
    .command('run')
    .description("start hookflow (embedded default, as `npm start`) with an app's handlers loaded")
    .argument(
      '<app>',
      'the app: a .js/.cjs/.mjs/.ts module or a package folder (a Probot app runs unmodified)',
    )
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment as for `npm start` (WEBHOOK_SECRET, APP_ID, PRIVATE_KEY, …).',
    )
    .action(async (app: string) => {
      const env = { ...process.env, HOOKFLOW_APP: path.resolve(app) };
      // Loaded here, not with the CLI: the other commands need neither the server nor the worker.
      // require(), as the CLI runs as CommonJS (under tsx, import() would bypass its loader).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startEmbedded } = require('../../scripts/start') as typeof import('../../scripts/start');
      // Runs until a signal stops it; runMain exits the process then (or when the start fails).
      await new Promise<never>(() => runMain((defer) => startEmbedded(defer, env)));
    });
}
