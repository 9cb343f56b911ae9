// `hookflow deliveries list` and `hookflow deliveries show`: the ledger, newest first, and one
// delivery with the runs of its workflow (from Temporal) and, when asked, its payload.
import type { Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { parsedPayload } from '../../lib/delivery-summary';
import type { DeliveryOutcome } from '../../lib/contracts/delivery-ref';
import type { DeliverySummary } from '../../lib/storage/delivery-listing';
import { theDelivery, withStore, withTemporal } from '../connect';
import {
  parseDeliveryId,
  parseInstallation,
  parseLimit,
  parseName,
  parseRepository,
  parseStatus,
  parseTime,
} from '../options';

/** The ledger filters `deliveries list` and a bulk `replay` share. */
export interface DeliveryFilterOptions {
  status?: DeliveryOutcome;
  event?: string;
  action?: string;
  installation?: string;
  repository?: string;
  since?: Date;
  until?: Date;
}

interface ListOptions extends DeliveryFilterOptions {
  limit: number;
  json: boolean;
}

export function addDeliveryFilters(command: Command, prefix = ''): Command {
  return command
    .option(
      '--status <status>',
      `${prefix}only this ledger outcome (received, accepted, queued, ignored, completed, failed, dead)`,
      parseStatus,
    )
    .option('--event <event>', `${prefix}only this event (issues, pull_request…)`, parseName)
    .option('--action <action>', `${prefix}only this action (opened, closed…)`, parseName)
    .option('--installation <id>', `${prefix}only this installation`, parseInstallation)
    .option('--repository <owner/repo>', `${prefix}only this repository`, parseRepository)
    .option(
      '--since <when>',
      `${prefix}received at or after: 30m, 24h, 3d, 2w back from now, or an ISO time`,
      (v) => parseTime(v),
    )
    .option('--until <when>', `${prefix}received before: the same forms as --since`, (v) => parseTime(v));
}

interface Run {
  runId: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
  failure: string | null;
}

export function deliveriesCommand(program: Command): void {
  const deliveries = program
    .command('deliveries')
    .description('the delivery ledger: what arrived, and what became of it');

  addDeliveryFilters(deliveries.command('list').description('deliveries from the ledger, newest first'))
    .option('--limit <n>', 'at most this many', parseLimit, 50)
    .option('--json', 'print a JSON array', false)
    .action(async (o: ListOptions) => {
      const config = loadConfig(process.env, 'cli');
      const rows = await withStore(config, (store) =>
        store.listDeliveries({
          status: o.status,
          event: o.event,
          action: o.action,
          installation: o.installation,
          repository: o.repository,
          since: o.since,
          until: o.until,
          limit: o.limit,
        }),
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write('no deliveries match\n');
        return;
      }
      printTable(
        ['RECEIVED', 'STATUS', 'EVENT', 'REPOSITORY', 'ATTEMPTS', 'DELIVERY ID'],
        rows.map((r) => [
          r.receivedAt.slice(0, 19).replace('T', ' '),
          r.installationUnknown ? `${r.status} (installation unknown)` : r.status,
          r.action ? `${r.event}.${r.action}` : r.event,
          r.repository ?? '-',
          String(r.attempts),
          r.deliveryId,
        ]),
      );
    });

  deliveries
    .command('show')
    .description('one delivery: its ledger row, the runs of its workflow, and its payload when asked')
    .argument('<id>', "the provider's delivery ID (GUID) or the workflow ID", parseDeliveryId)
    .option('--payload', 'also print the payload as received', false)
    .option('--json', 'print JSON', false)
    .action(async (id: string, o: { payload: boolean; json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const { delivery, payload } = await withStore(config, async (store) => {
        const d = await theDelivery(store, id);
        if (!o.payload) return { delivery: d, payload: undefined };
        // Null once the payload is no longer kept (its installation was removed).
        const entry = await store.getDelivery(d.workflowId);
        return {
          delivery: d,
          payload: entry?.rawBody ? parsedPayload(entry.contentType, entry.rawBody) : null,
        };
      });
      const runs = delivery.workflowType
        ? await withTemporal(config, (client) => runsOf(client, delivery.workflowId)).catch(
            (err: unknown) => {
              process.stderr.write(`the runs are not available: ${(err as Error).message}\n`);
              return undefined;
            },
          )
        : [];
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ ...delivery, runs: runs ?? null, ...(o.payload ? { payload: payload ?? null } : {}) }, null, 2)}\n`,
        );
        return;
      }
      printShow(delivery, runs, o.payload ? (payload ?? null) : undefined);
    });
}

/** Every run of the delivery's workflow, oldest first, with why a failed one failed. */
async function runsOf(client: Client, workflowId: string): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` })) {
    let failure: string | null = null;
    if (w.status.name === 'FAILED' || w.status.name === 'TERMINATED' || w.status.name === 'TIMED_OUT') {
      const history = await client.workflow.getHandle(workflowId, w.runId).fetchHistory();
      const ended = history.events?.find(
        (e) =>
          e.workflowExecutionFailedEventAttributes ??
          e.workflowExecutionTerminatedEventAttributes ??
          e.workflowExecutionTimedOutEventAttributes,
      );
      // Through the client's converters: the message travels in the failure's (sealed) payload. One
      // that cannot be decoded (a key not configured here) is shown as that, with the other runs.
      const error = await decodeOptionalFailureToOptionalError(
        client.options.loadedDataConverter,
        ended?.workflowExecutionFailedEventAttributes?.failure,
      ).catch((err: unknown) => new Error(`(its failure cannot be read: ${(err as Error).message})`));
      failure = error
        ? [error.message, error.cause instanceof Error ? error.cause.message : undefined]
            .filter(Boolean)
            .join(': ')
        : (ended?.workflowExecutionTerminatedEventAttributes?.reason ?? w.status.name.toLowerCase());
    }
    runs.push({
      runId: w.runId,
      status: w.status.name.toLowerCase(),
      startedAt: w.startTime.toISOString(),
      closedAt: w.closeTime?.toISOString() ?? null,
      failure,
    });
  }
  return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

function printShow(d: DeliverySummary, runs: Run[] | undefined, payload: unknown): void {
  const out: [string, string][] = [
    ['delivery', d.deliveryId],
    ['workflow', d.workflowId],
    ['event', d.action ? `${d.event}.${d.action}` : d.event],
    ['repository', d.repository ?? '-'],
    [
      'installation',
      d.installationUnknown
        ? `${d.installation ?? '-'} (unknown to GitHub, checked against its API: not replayed)`
        : (d.installation ?? '-'),
    ],
    ['status', d.reason ? `${d.status}: ${d.reason}` : d.status],
    ['received', `${d.receivedAt} (${d.received}×)`],
    ['finished', d.finishedAt ?? '-'],
    ['attempts', String(d.attempts)],
  ];
  for (const [k, v] of out) process.stdout.write(`${k.padEnd(13)}${v}\n`);
  if (runs === undefined) process.stdout.write('runs         (Temporal not reachable)\n');
  else if (runs.length === 0) process.stdout.write('runs         none\n');
  else
    for (const r of runs)
      process.stdout.write(
        `run          ${r.startedAt} ${r.status}${r.failure ? `: ${r.failure}` : ''} (${r.runId})\n`,
      );
  if (payload !== undefined) process.stdout.write(`payload\n${JSON.stringify(payload, null, 2)}\n`);
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[format(header), ...rows.map(format)].join('\n')}\n`);
}
