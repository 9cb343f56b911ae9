// `hookflow secrets rotate <hook>` and `hookflow secrets status [<hook>]`: a managed hook's secret
// rotation that updates GitHub too, run as a Temporal workflow (workflows/rotate-hook-secret.ts), and
// where each managed hook's secrets stand.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../lib/config';
import type { Sealer } from '../../lib/crypto';
import { shownPlace } from '../../lib/github-hooks';
import {
  ROTATION_STATUS_QUERY,
  rotationWorkflowId,
  type RotationArgs,
  type RotationStatus,
} from '../../lib/contracts/secret-rotation';
import { getManagedHook, listManagedHooks, type ManagedHookRow } from '../../lib/storage/managed-hooks';
import type { WorkflowType } from '../../lib/temporal/workflow-type';
import { CliError, hookSealer, openHookSecrets, withStore, withTemporal } from '../connect';
import { parseDuration, parseHookId } from '../options';

const THREE_DAYS_MS = 3 * 86_400_000;
/** How long `rotate` waits for the new secret to reach GitHub and be confirmed before it leaves it running. */
const WAIT_MS = 120_000;

const APP_SECRET_STEPS = `the App's webhook secret is WEBHOOK_SECRET, which hookflow does not hold, so it is rotated by hand:
  1. set WEBHOOK_SECRET=<new>,<old> on every hookflow server (both verify; the first is the newest)
  2. enter <new> in the App's settings on GitHub (Webhook secret), or PATCH /app/hook/config
  3. after GitHub's redelivery window (3 days), set WEBHOOK_SECRET=<new>
hookflow_old_secret_deliveries_total{source="github"} counts deliveries still signed with <old>.`;

function parseHookOrApp(value: string): string {
  if (value === 'app') return value;
  try {
    return parseHookId(value);
  } catch {
    throw new InvalidArgumentError("expected a managed hook's numeric GitHub ID, or app");
  }
}

interface HookState {
  hookId: string;
  target: string;
  /** Secrets accepted now (more than one during a rotation's grace period). */
  liveSecrets: number;
  /** When the older ones stop being accepted. */
  retiring: string[];
  rotation: (Partial<RotationStatus> & { status: string }) | null;
}

async function rotationOf(client: Client, hookId: string): Promise<HookState['rotation']> {
  const handle = client.workflow.getHandle(rotationWorkflowId(hookId));
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null; // never rotated
    throw err;
  }
  const status = described.status.name;
  if (status === 'RUNNING') {
    // A query needs a worker: without one in time, say so rather than wait.
    return client.connection
      .withDeadline(Date.now() + 3_000, () => handle.query<RotationStatus>(ROTATION_STATUS_QUERY))
      .then(
        (state) => ({ status, ...state }),
        (err: unknown) => ({
          status,
          error: `state unavailable: ${(err as Error).message} (is a worker running?)`,
        }),
      );
  }
  if (status === 'COMPLETED') return { status, ...((await handle.result()) as RotationStatus) };
  const failure = await handle.result().then(
    () => null,
    (err: unknown) => (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message,
  );
  return { status, error: failure };
}

function stateOf(sealer: Sealer, row: ManagedHookRow, now: number): Omit<HookState, 'rotation'> {
  const secrets = openHookSecrets(sealer, row);
  const live = secrets.filter((s) => s.retiresAt === null || Date.parse(s.retiresAt) > now);
  return {
    hookId: row.hookId,
    target: shownPlace({ scope: row.scope, name: row.target }),
    liveSecrets: live.length,
    retiring: live.flatMap((s) => (s.retiresAt === null ? [] : [s.retiresAt])),
  };
}

function describeRotation(r: Partial<RotationStatus> & { status?: string }): string {
  const parts = [
    r.phase ?? r.status?.toLowerCase() ?? 'unknown',
    ...(r.confirmed === true ? ['confirmed by a ping'] : r.confirmed === false ? ['ping not confirmed'] : []),
    ...(r.oldRetiresAt ? [`old secret accepted until ${r.oldRetiresAt}`] : []),
    ...(r.error ? [`error: ${r.error}`] : []),
  ];
  return parts.join(', ');
}

export function secretsCommand(program: Command): void {
  const secrets = program
    .command('secrets')
    .description("managed hooks' secrets: rotation that updates GitHub too, and where each stands");

  secrets
    .command('rotate')
    .description(
      'give a hook a new secret, set it on GitHub, confirm it, retire the old one after a grace period',
    )
    .argument(
      '<hook>',
      "a managed hook's GitHub ID (or app, for the steps to rotate the App's own)",
      parseHookOrApp,
    )
    .option(
      '--grace <duration>',
      'how long the old secret is still accepted (GitHub redelivers 3 days back)',
      parseDuration,
      THREE_DAYS_MS,
    )
    .option('--now', 'the leak mode: the old secret stops working at once', false)
    .option('--json', 'print the rotation state as JSON', false)
    .action(async (hook: string, o: { grace: number; now: boolean; json: boolean }) => {
      if (hook === 'app') throw new CliError(APP_SECRET_STEPS);
      const config = loadConfig(process.env, 'cli');
      hookSealer(config); // the key first: a rotation no server could verify is refused here
      const row = await withStore(config, (store) => getManagedHook(store.db, 'github', hook));
      if (!row)
        throw new CliError(
          `hookflow manages no hook ${hook}: \`hookflow hooks list\` shows the ones it does`,
        );
      const args: RotationArgs = { hookId: hook, graceMs: o.grace, leak: o.now };
      const state = await withTemporal(config, async (client) => {
        await client.workflow
          .start('rotateHookSecret' satisfies WorkflowType, {
            workflowId: rotationWorkflowId(hook),
            taskQueue: config.temporal.taskQueue,
            args: [args],
            workflowIdConflictPolicy: 'FAIL',
            staticSummary: `rotate the secret of hook ${hook}${o.now ? ' (leak mode)' : ''}`,
          })
          .catch((err: unknown) => {
            throw err instanceof WorkflowExecutionAlreadyStartedError
              ? new CliError(`a rotation of hook ${hook} is under way: \`hookflow secrets status ${hook}\``)
              : err;
          });
        // Until the new secret is on GitHub and the ping is judged; the grace period runs on in Temporal.
        const until = Date.now() + WAIT_MS;
        for (;;) {
          const r = await rotationOf(client, hook);
          if (r && (r.status !== 'RUNNING' || r.phase === 'grace' || r.phase === 'done')) return r;
          if (Date.now() > until) return r ?? { status: 'RUNNING' };
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      });
      // A leak: each server may trust what it read of the hook for HOOKFLOW_HOOK_CACHE_MS; once
      // that has passed, the old secret is refused everywhere.
      if (o.now && (state.phase === 'grace' || state.phase === 'done'))
        await new Promise((resolve) => setTimeout(resolve, config.hookCacheMs));
      if (o.json) process.stdout.write(`${JSON.stringify(state)}\n`);
      else process.stdout.write(`hook ${hook}: ${describeRotation(state)}\n`);
      if (state.status === 'RUNNING' && state.phase !== 'grace' && state.phase !== 'done')
        process.stderr.write(
          `the rotation goes on in Temporal (a worker runs it): \`hookflow secrets status ${hook}\` shows how it stands\n`,
        );
      else if (state.status !== 'RUNNING' && state.status !== 'COMPLETED')
        throw new CliError(
          `the rotation of hook ${hook} ended ${state.status.toLowerCase()}${state.error ? `: ${state.error}` : ''}`,
        );
    });

  secrets
    .command('status')
    .description("each managed hook's secrets, and its latest rotation")
    .argument('[hook]', "a managed hook's GitHub ID", parseHookId)
    .option('--json', 'print JSON', false)
    .action(async (hook: string | undefined, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const sealer = hookSealer(config);
      const now = Date.now();
      const rows = await withStore(config, async (store) =>
        hook === undefined
          ? listManagedHooks(store.db, 'github')
          : [await getManagedHook(store.db, 'github', hook)].filter(
              (r): r is ManagedHookRow => r !== undefined,
            ),
      );
      if (hook !== undefined && rows.length === 0) throw new CliError(`hookflow manages no hook ${hook}`);
      const states: HookState[] = await withTemporal(config, (client) =>
        Promise.all(
          rows.map(async (row) => ({
            ...stateOf(sealer, row, now),
            rotation: await rotationOf(client, row.hookId),
          })),
        ),
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(states)}\n`);
        return;
      }
      if (states.length === 0) process.stdout.write('hookflow manages no hooks yet\n');
      for (const s of states)
        process.stdout.write(
          `${s.hookId.padEnd(12)} ${s.target.padEnd(30)} ${s.liveSecrets} secret(s) accepted${s.retiring.length > 0 ? ` (older until ${s.retiring.join(', ')})` : ''}; rotation: ${s.rotation ? describeRotation(s.rotation) : 'never'}\n`,
        );
    });
}
