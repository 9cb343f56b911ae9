// `npm run temporal:cli` finds or builds the Temporal CLI and prints its path; `npm run
// temporal:server` does the same for the Temporal server and its schema tool (a cluster on
// PostgreSQL runs them). CI runs both first, so a cold build is not charged to a test.
import { findTemporalCli, findTemporalServer } from '../lib/temporal/binaries';

const what = process.argv[2] ?? 'cli';
const log = (m: string) => process.stderr.write(`${m}\n`);
const found =
  what === 'cli'
    ? findTemporalCli(process.env, log).then((cli) => [cli])
    : what === 'server'
      ? findTemporalServer(process.env, log).then(({ server, sqlTool }) => [server, sqlTool])
      : Promise.reject(new Error(`unknown argument ${what}: say cli or server`));
found.then(
  (paths) => process.stdout.write(`${paths.join('\n')}\n`),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error).message ?? err)}\n`);
    process.exit(1);
  },
);
