// hookflow's command line: a command tree (commander). `hookflow --help` and `hookflow <command>
// --help` list everything; a bad argument exits 2 with the reason, a failure 1 with what to do.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config';
import { deliveriesCommand } from './commands/deliveries';
import { hooksCommand } from './commands/hooks';
import { hubCommand } from './commands/hub';
import { secretsCommand } from './commands/secrets';
import { keysCommand } from './commands/keys';
import { reconcileCommand } from './commands/reconcile';
import { replayCommand } from './commands/replay';
import { runCommand } from './commands/run';
import { syncCommand } from './commands/sync';
import { CliError } from './connect';

function program(): Command {
  const p = new Command('hookflow')
    .description('Durable webhook integrations on Temporal: deliveries, syncs, operations.')
    .addHelpText(
      'after',
      '\nConnects to TEMPORAL_ADDRESS (default: the local server `npm start` runs) and reads the ledger from DATABASE_URL.',
    )
    .showHelpAfterError('(run with --help for usage)')
    // `replay status <job> --json`: an option after a sub-command is the sub-command's, not its parent's.
    .enablePositionalOptions()
    .exitOverride();
  syncCommand(p);
  deliveriesCommand(p);
  replayCommand(p);
  reconcileCommand(p);
  hooksCommand(p);
  hubCommand(p);
  secretsCommand(p);
  keysCommand(p);
  runCommand(p);
  // Every sub-command reports its errors the same way.
  for (const c of p.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return p;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    // A command that finished but did not do all it should (keys rotate) says so by its exit code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are answers, not errors; commander has printed the reason of the rest.
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
        ? 0
        : 2;
    }
    if (err instanceof CliError || err instanceof ConfigError) {
      process.stderr.write(`hookflow: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`hookflow: ${String((err as Error)?.stack ?? err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`hookflow: ${String(err)}\n`);
    process.exit(1);
  },
);
