// `hookflow replay <GUID or workflow ID>`: runs one delivery's workflow again, from the body the
// ledger kept (see lib/replay.ts for what is trusted and what is refused).
import type { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { ReplayRefused, replayDelivery } from '../../lib/replay';
import { CliError, theDelivery, withStore, withTemporal } from '../connect';
import { parseDeliveryId } from '../options';

export function replayCommand(program: Command): void {
  program
    .command('replay')
    .description("run a delivery's workflow again, from the payload kept in the ledger")
    .argument('<id>', "the provider's delivery ID (GUID) or the workflow ID", parseDeliveryId)
    .option('--force', 'also replay a delivery that completed (its handlers run again)', false)
    .option('--json', 'print the new run as JSON', false)
    .action(async (id: string, o: { force: boolean; json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const replayed = await withStore(config, async (store) => {
        const delivery = await theDelivery(store, id);
        return withTemporal(config, (client) =>
          replayDelivery({ client, taskQueue: config.temporal.taskQueue, store }, delivery, {
            force: o.force,
          }),
        ).catch((err: unknown) => {
          throw err instanceof ReplayRefused ? new CliError(err.message) : err;
        });
      });
      if (o.json) process.stdout.write(`${JSON.stringify(replayed, null, 2)}\n`);
      else
        process.stdout.write(
          `replaying ${replayed.deliveryId} (was ${replayed.previousStatus}): run ${replayed.runId} of workflow ${replayed.workflowId}\n`,
        );
    });
}
