// `npm run temporal:cli`: finds or builds the Temporal CLI and prints its path (CI runs this first).
import { findTemporalCli } from '../lib/temporal/cli';

findTemporalCli(process.env, (m) => process.stderr.write(`${m}\n`)).then(
  (cli) => process.stdout.write(`${cli}\n`),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error).message ?? err)}\n`);
    process.exit(1);
  },
);
