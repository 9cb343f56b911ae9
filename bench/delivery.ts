// One file though over 300 lines: one benchmark run (its peers, its phases, its report) whose
// parts share the same processes and measurements; split, the phases would no longer run side by side.
// `npm run bench:delivery`: what a user waits for, with a worker running — hookflow as `npm start`
// runs it (server, worker and the benchmarks' app in one process, its own Temporal dev server), on
// the embedded store and on PostgreSQL, beside its peers, in one run:
//   single      — one delivery at a time: POST to the handler's first line, and to the workflow's completion
//   paced       — an even BENCH_PACED_RATE/s for BENCH_DURATION_S: the same two figures
//   burst       — BENCH_BURST deliveries from BENCH_BURST_CONNECTIONS connections as fast as they
//                 go: every answer (2xx? within GitHub's 10 s?), then how soon all completed
//   large body  — one signed 25 MiB delivery (GitHub's maximum) while /healthz is asked every 50 ms
//                 and small deliveries arrive at 10/s: the slowest /healthz, the small ones' answers
//   octokit     — @octokit/webhooks' middleware with an in-process handler (what Probot runs, not
//                 durable): POST to the handler's first line, single, paced and burst
//   start-loop  — a bare client.workflow.start loop at the burst's concurrency (the rate Temporal
//                 starts workflows at here), on a fresh dev server (in memory) and on a fresh cluster
//   floor       — the same starts of a workflow that returns at once, run by a bare worker: the
//                 fastest any workflow-per-delivery design could complete a burst, on a dev server
//                 in memory, one with a file database (as hookflow's), and a fresh cluster
//   cluster     — hookflow on PostgreSQL as above, but against a real Temporal server on PostgreSQL
//                 (temporal-server, scripts/temporal-cluster.ts) instead of its own dev server
// Results go to bench/results/delivery-<date>.{md,json}. One file though long: each phase is a short
// function over the same few helpers (send, marks, completions), and the report reads them together.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import examples from '@octokit/webhooks-examples/api.github.com/index.json';
import { deliveryKey, NO_HOOK_ID } from '../lib/contracts/delivery-ref';
import { freePort } from '../lib/net';
import { findTemporalCli } from '../lib/temporal/binaries';
import type { Cluster } from '../scripts/temporal-cluster';
import { startBenchCluster } from './cluster';
import { measureCpu, type CpuGroup } from './process-cpu';
import { startDevServer } from '../lib/temporal/dev-server';
import { GITHUB_SHA256, sign } from '../server/signature';
import { createScratchDatabase } from '../test/helpers/scratch-database';
import { exitOnError, writeResults } from './results';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 50);
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const BURST_CONNECTIONS = Number(process.env.BENCH_BURST_CONNECTIONS ?? 64);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 25);
const SECRET = 'bench-secret';
const TARGET_NAMES = ['start-loop', 'floor', 'embedded', 'postgresql', 'cluster', 'octokit'] as const;
/** Which targets run (BENCH_TARGETS, comma-separated; all by default): one at a time while trying a change. */
const TARGETS = new Set(
  (process.env.BENCH_TARGETS ?? TARGET_NAMES.join(',')).split(',').map((t) => {
    const name = t.trim();
    if (!(TARGET_NAMES as readonly string[]).includes(name))
      throw new Error(`BENCH_TARGETS: unknown target "${name}" (choose from ${TARGET_NAMES.join(', ')})`);
    return name;
  }),
);
/** A suffix for the results file, so a trial run does not overwrite the day's. */
const LABEL = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL.replace(/[^\w.-]+/g, '-')}` : '';

const issuesOpened = (examples as { name: string; examples: { action?: string }[] }[])
  .find((g) => g.name === 'issues')!
  .examples.find((e) => e.action === 'opened')!;

interface Sent {
  id: string;
  sentAt: number;
  answeredAt: number;
  status: number;
  outcome: string;
}

async function send(url: string, body: Buffer = Buffer.from(JSON.stringify(issuesOpened))): Promise<Sent> {
  const id = randomUUID();
  const sentAt = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': id,
        'x-hub-signature-256': sign(GITHUB_SHA256, SECRET, body),
        'user-agent': 'GitHub-Hookshot/bench',
      },
    });
    const answer = (await res.json().catch(() => ({}))) as { status?: string };
    return { id, sentAt, answeredAt: Date.now(), status: res.status, outcome: answer.status ?? '' };
  } catch (err) {
    return { id, sentAt, answeredAt: Date.now(), status: 0, outcome: String(err) };
  }
}

const quantile = (values: number[], q: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

/** The handler marks: delivery ID → when its handler's first line ran. */
function readMarks(file: string): Map<string, number> {
  const marks = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return marks;
  }
  for (const line of text.split('\n')) {
    const [id, at] = line.split(' ');
    if (id && at && !marks.has(id)) marks.set(id, Number(at));
  }
  return marks;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 600_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An open loop: one new delivery every 1000/rate ms for `ms`, whatever the answers do. */
async function paced(url: string, rate: number, ms: number): Promise<Sent[]> {
  const sent: Promise<Sent>[] = [];
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < ms; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    sent.push(send(url));
  }
  return Promise.all(sent);
}

/** `total` deliveries over `connections` concurrent senders, as fast as they are answered. */
async function burst(url: string, total: number, connections: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  let left = total;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (left-- > 0) sent.push(await send(url));
    }),
  );
  return sent;
}

interface Phase {
  target: string;
  phase: string;
  deliveries: number;
  non2xx: number;
  ackP50?: number | undefined;
  ackP99?: number | undefined;
  ackMax?: number | undefined;
  handlerP50?: number | undefined;
  handlerP90?: number | undefined;
  handlerP99?: number | undefined;
  doneP50?: number | undefined;
  doneP90?: number | undefined;
  doneP99?: number | undefined;
  /** Deliveries completed per second, from the first POST to the last completion. */
  completedPerS?: number | undefined;
  /** CPU per delivery over the phase, by process group (ms), where /proc could be read. */
  cpuPerDelivery?: Record<CpuGroup, number> | undefined;
  /** Single deliveries only: each step of a delivery's history, ms after its POST (median). */
  timeline?: { step: string; p50: number }[] | undefined;
  note?: string;
}

/**
 * Where a single delivery's time goes: each event of its workflow's history (numbered by kind:
 * "WorkflowTaskStarted 2" is the second workflow task's start), the acknowledgement and the
 * handler's first line, as the median over the singles of their time after the POST. The events'
 * times are the Temporal server's, on this machine's clock.
 */
async function timeline(
  client: Client,
  sent: Sent[],
  marks: Map<string, number>,
): Promise<{ step: string; p50: number }[]> {
  const steps = new Map<string, number[]>();
  const add = (step: string, ms: number) => {
    const values = steps.get(step);
    if (values) values.push(ms);
    else steps.set(step, [ms]);
  };
  for (const s of sent) {
    add('acknowledged', s.answeredAt - s.sentAt);
    const mark = marks.get(s.id);
    if (mark !== undefined) add("handler's first line", mark - s.sentAt);
    const history = await client.workflow.getHandle(deliveryKey('github', NO_HOOK_ID, s.id)).fetchHistory();
    const seen = new Map<string, number>();
    for (const e of history.events ?? []) {
      const kind = (Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'unknown').replace(
        /EventAttributes$/,
        '',
      );
      const name = kind.charAt(0).toUpperCase() + kind.slice(1);
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      add(`${name} ${n}`, at - s.sentAt);
    }
  }
  return [...steps]
    .map(([step, values]) => ({ step, p50: quantile(values, 0.5)! }))
    .sort((a, b) => a.p50 - b.p50);
}

function figures(
  target: string,
  phase: string,
  sent: Sent[],
  marks: Map<string, number>,
  done?: Map<string, number>,
): Phase {
  const handler = sent.flatMap((s) => (marks.has(s.id) ? [marks.get(s.id)! - s.sentAt] : []));
  const finished = done ? sent.flatMap((s) => (done.has(s.id) ? [done.get(s.id)! - s.sentAt] : [])) : [];
  const acks = sent.map((s) => s.answeredAt - s.sentAt);
  const first = Math.min(...sent.map((s) => s.sentAt));
  const last = done ? Math.max(...sent.map((s) => done.get(s.id) ?? 0)) : 0;
  return {
    target,
    phase,
    deliveries: sent.length,
    non2xx: sent.filter((s) => s.status < 200 || s.status > 299).length,
    ackP50: quantile(acks, 0.5),
    ackP99: quantile(acks, 0.99),
    ackMax: Math.max(...acks),
    handlerP50: quantile(handler, 0.5),
    handlerP90: quantile(handler, 0.9),
    handlerP99: quantile(handler, 0.99),
    ...(done
      ? {
          doneP50: quantile(finished, 0.5),
          doneP90: quantile(finished, 0.9),
          doneP99: quantile(finished, 0.99),
          completedPerS: finished.length === sent.length ? sent.length / ((last - first) / 1000) : undefined,
        }
      : {}),
    ...(handler.length < sent.length ? { note: `${sent.length - handler.length} handlers never ran` } : {}),
  };
}

function spawnLine(
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
): { child: ChildProcess; match: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    // The bench's own clients read results without hookflow's codec: history encryption stays off.
    env: { ...process.env, HOOKFLOW_HISTORY_ENCRYPTION: 'off', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, match };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Each delivery's completion time (epoch ms), from the workflows' close times. */
async function completions(client: Client, sent: Sent[], marks: string): Promise<Map<string, number>> {
  const wanted = new Set(sent.map((s) => deliveryKey('github', NO_HOOK_ID, s.id)));
  // Temporal is asked only once every handler has run (its marks are a local file): a visibility
  // count every 100 ms through a whole burst would add load of its own to the server measured.
  await waitFor('every handler to run', () => {
    const ran = readMarks(marks);
    return Promise.resolve(sent.every((s) => ran.has(s.id)) ? true : undefined);
  });
  // Phases run one after another, each waiting for its own: what started since its first POST is its own.
  const since = new Date(Math.min(...sent.map((s) => s.sentAt))).toISOString();
  const query = `ExecutionStatus = "Completed" AND StartTime >= "${since}"`;
  await waitFor(`${wanted.size} workflows to complete`, async () => {
    const { count } = await client.workflow.count(query);
    return count >= wanted.size ? true : undefined;
  });
  const done = new Map<string, number>();
  for await (const w of client.workflow.list({ query })) {
    if (wanted.has(w.workflowId) && w.closeTime) done.set(w.workflowId.split(':')[2], w.closeTime.getTime());
  }
  return done;
}

async function benchHookflow(
  label: string,
  databaseUrl: string | undefined,
  cli: string,
  /** A cluster's address; undefined: hookflow runs its own dev server, as `npm start` does. */
  temporalAddress?: string,
): Promise<Phase[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-'));
  const marks = path.join(dir, 'marks');
  writeFileSync(marks, '');
  const temporalPort = await freePort();
  const { child, match } = spawnLine(
    [path.join(__dirname, '..', 'scripts', 'start.ts')],
    {
      PORT: String(await freePort()),
      HOOKFLOW_METRICS_PORT: '0',
      HOST: '127.0.0.1',
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: cli,
      HOOKFLOW_DATA_DIR: dir,
      HOOKFLOW_APP: path.join(__dirname, 'app.ts'),
      WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      BENCH_MARKS: marks,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(temporalAddress ? { TEMPORAL_ADDRESS: temporalAddress } : {}),
    },
    /Webhook URL:\s+(\S+)/,
  );
  const phases: Phase[] = [];
  try {
    const url = (await match)[1].replace('localhost', '127.0.0.1');
    const base = new URL(url).origin;
    const connection = await Connection.connect({ address: temporalAddress ?? `127.0.0.1:${temporalPort}` });
    const client = new Client({ connection });
    try {
      const run = async (phase: string, sent: Sent[]) => {
        const done = await completions(client, sent, marks);
        phases.push(figures(label, phase, sent, readMarks(marks), done));
        process.stderr.write(`  ${label} ${phase}: ${JSON.stringify(phases.at(-1))}\n`);
      };
      await completions(client, await burst(url, 20, 1), marks); // warm-up
      const singles: Sent[] = [];
      for (let i = 0; i < SINGLES; i++) {
        const s = await send(url);
        singles.push(s);
        // Acknowledged once recorded: its workflow may start a moment later.
        const handle = client.workflow.getHandle(deliveryKey('github', NO_HOOK_ID, s.id));
        await waitFor(
          'the workflow',
          () =>
            handle.result().then(
              () => true,
              () => undefined,
            ),
          30_000,
        );
      }
      await run('single', singles);
      phases.at(-1)!.timeline = await timeline(client, singles, readMarks(marks));
      await run(`paced ${PACED_RATE}/s`, await paced(url, PACED_RATE, DURATION_S * 1000));
      // What the burst cost each process, from its first POST until every delivery completed.
      const cpu = measureCpu(child.pid!);
      await run(`burst ${BURST} × ${BURST_CONNECTIONS} conn.`, await burst(url, BURST, BURST_CONNECTIONS));
      const used = cpu?.();
      if (used) {
        phases.at(-1)!.cpuPerDelivery = {
          hookflow: used.hookflow / BURST,
          temporal: used.temporal / BURST,
          postgres: used.postgres / BURST,
        };
      }
      phases.push(await largeBody(label, url, base));
    } finally {
      await connection.close();
    }
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
  return phases;
}

/** One 25 MiB delivery, with /healthz asked every 50 ms and small deliveries at 10/s meanwhile. */
async function largeBody(label: string, url: string, base: string): Promise<Phase> {
  const pad = 'x'.repeat(25 * 1024 * 1024 - 20_000);
  const big = Buffer.from(JSON.stringify({ ...issuesOpened, pad }));
  let running = true;
  const health: number[] = [];
  const pinger = (async () => {
    while (running) {
      const t0 = Date.now();
      await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
      health.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const small = (async () => {
    const sent: Promise<Sent>[] = [];
    while (running) {
      sent.push(send(url));
      await new Promise((r) => setTimeout(r, 100));
    }
    return Promise.all(sent);
  })();
  const answer = await send(url, big);
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await pinger;
  const smalls = await small;
  const falselyQueued = smalls.filter((s) => s.outcome !== 'accepted').length;
  return {
    target: label,
    phase: `large body (${(big.length / 2 ** 20).toFixed(0)} MiB)`,
    deliveries: 1 + smalls.length,
    non2xx: [answer, ...smalls].filter((s) => s.status < 200 || s.status > 299).length,
    ackP50: answer.answeredAt - answer.sentAt,
    ackMax: Math.max(...smalls.map((s) => s.answeredAt - s.sentAt)),
    note: `large one answered ${answer.status} ${answer.outcome} in ${answer.answeredAt - answer.sentAt} ms; slowest /healthz ${Math.max(...health)} ms (${health.length} asked); small ones not accepted: ${falselyQueued} of ${smalls.length}, slowest answer ${Math.max(...smalls.map((s) => s.answeredAt - s.sentAt))} ms`,
  };
}

async function benchOctokit(): Promise<Phase[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-'));
  const marks = path.join(dir, 'marks');
  writeFileSync(marks, '');
  const { child, match } = spawnLine(
    [path.join(__dirname, 'target.ts'), 'octokit'],
    { BENCH_SECRET: SECRET, BENCH_MARKS: marks },
    /READY (\S+)/,
  );
  try {
    const url = (await match)[1];
    await burst(url, 20, 1);
    const singles: Sent[] = [];
    for (let i = 0; i < SINGLES; i++) singles.push(await send(url));
    const pacedRun = await paced(url, PACED_RATE, DURATION_S * 1000);
    const burstRun = await burst(url, BURST, BURST_CONNECTIONS);
    const m = readMarks(marks);
    return [
      figures('octokit (in-process handler)', 'single', singles, m),
      figures('octokit (in-process handler)', `paced ${PACED_RATE}/s`, pacedRun, m),
      figures('octokit (in-process handler)', `burst ${BURST} × ${BURST_CONNECTIONS} conn.`, burstRun, m),
    ];
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rate Temporal starts workflows at here: BURST starts, BURST_CONNECTIONS at a time, no worker. */
async function startLoop(cli: string, cluster?: Cluster): Promise<Phase> {
  const temporal = cluster
    ? { address: cluster.address, stop: () => Promise.resolve() }
    : await startDevServer({ cli, port: await freePort(), namespace: 'default', stdio: 'quiet' });
  try {
    const { sent, seconds } = await startBurst(temporal.address, 'onIssues', 'bench-loop');
    const acks = sent.map((s) => s.answeredAt - s.sentAt);
    return {
      target: cluster ? 'start-loop, cluster' : 'start-loop',
      phase: `${BURST} starts × ${BURST_CONNECTIONS} at a time`,
      deliveries: BURST,
      non2xx: 0,
      ackP50: quantile(acks, 0.5),
      ackP99: quantile(acks, 0.99),
      ackMax: Math.max(...acks),
      completedPerS: BURST / seconds,
      note: 'started (not completed) per second',
    };
  } finally {
    await temporal.stop();
  }
}

/** BURST starts of `workflowType` on `taskQueue`, BURST_CONNECTIONS at a time, from one client. */
async function startBurst(
  address: string,
  workflowType: string,
  taskQueue: string,
): Promise<{ sent: Sent[]; t0: number; seconds: number; client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const sent: Sent[] = [];
  let left = BURST;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: BURST_CONNECTIONS }, async () => {
      while (left-- > 0) {
        const id = randomUUID();
        const sentAt = Date.now();
        await client.workflow.start(workflowType, { taskQueue, workflowId: id, args: [{ key: id }] });
        sent.push({ id, sentAt, answeredAt: Date.now(), status: 200, outcome: 'started' });
      }
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  return { sent, t0, seconds, client, close: () => connection.close() };
}

/**
 * The floor under any design that runs a Temporal workflow per delivery: the same burst of starts,
 * each of a workflow that returns at once (one workflow task, no activity), run by a bare worker of
 * the same SDK (its defaults, its own process) on a fresh server of the start loop's kind. Its
 * completions per second are the most a burst could complete at here, whatever the workflow does.
 */
async function floorBurst(cli: string, server: Cluster | 'in memory' | 'file database'): Promise<Phase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-floor-'));
  const temporal =
    typeof server === 'object'
      ? { address: server.address, stop: () => Promise.resolve() }
      : await startDevServer({
          cli,
          port: await freePort(),
          namespace: 'default',
          stdio: 'quiet',
          // A file database is what hookflow's own dev server (npm start) keeps its state in.
          dbFile: server === 'file database' ? path.join(dir, 'temporal.db') : undefined,
        });
  const taskQueue = `bench-floor-${randomUUID()}`;
  const { child, match } = spawnLine(
    [path.join(__dirname, 'floor-worker.ts')],
    { BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_TASK_QUEUE: taskQueue },
    /floor worker ready/,
  );
  try {
    await match;
    const cpu = measureCpu(child.pid!);
    const { sent, t0, client, close } = await startBurst(temporal.address, 'floor', taskQueue);
    try {
      // The starts are over: from here a count every 500 ms is all the benchmark asks of the server.
      const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`;
      await waitFor(`${BURST} floor workflows to complete`, async () => {
        await new Promise((r) => setTimeout(r, 500));
        return (await client.workflow.count(query)).count >= BURST ? true : undefined;
      });
      const used = cpu?.();
      let last = t0;
      for await (const w of client.workflow.list({ query }))
        last = Math.max(last, w.closeTime?.getTime() ?? t0);
      const acks = sent.map((s) => s.answeredAt - s.sentAt);
      return {
        target: typeof server === 'object' ? 'floor, cluster' : `floor, ${server}`,
        phase: `${BURST} starts × ${BURST_CONNECTIONS} at a time, bare worker`,
        deliveries: BURST,
        non2xx: 0,
        ackP50: quantile(acks, 0.5),
        ackP99: quantile(acks, 0.99),
        ackMax: Math.max(...acks),
        completedPerS: BURST / ((last - t0) / 1000),
        note: 'an empty workflow per start; completed per second',
        ...(used
          ? {
              cpuPerDelivery: {
                hookflow: used.hookflow / BURST,
                temporal: used.temporal / BURST,
                postgres: used.postgres / BURST,
              },
            }
          : {}),
      };
    } finally {
      await close();
    }
  } finally {
    await stop(child);
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh Temporal cluster on the local PostgreSQL, for one target. */
async function withCluster<T>(cli: string, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = await startBenchCluster(cli);
  try {
    return await fn(cluster);
  } finally {
    await cluster.destroy();
  }
}

async function main(): Promise<void> {
  const cli = await findTemporalCli(process.env, (m) => process.stderr.write(`${m}\n`));
  const phases: Phase[] = [];
  const on = (target: (typeof TARGET_NAMES)[number]) => TARGETS.has(target);
  if (on('start-loop')) {
    process.stderr.write('benchmarking start-loop…\n');
    phases.push(await startLoop(cli));
  }
  if (on('floor')) {
    process.stderr.write('benchmarking the floor (bare worker, empty workflows)…\n');
    phases.push(await floorBurst(cli, 'in memory'));
    phases.push(await floorBurst(cli, 'file database'));
  }
  if (on('embedded')) {
    process.stderr.write('benchmarking hookflow (embedded store)…\n');
    phases.push(...(await benchHookflow('hookflow, embedded', undefined, cli)));
  }
  if (on('postgresql')) {
    const database = await createScratchDatabase('hookflow_bench');
    try {
      process.stderr.write('benchmarking hookflow (PostgreSQL)…\n');
      phases.push(...(await benchHookflow('hookflow, PostgreSQL', database.url, cli)));
    } finally {
      await database.drop();
    }
  }
  if (on('cluster')) {
    process.stderr.write('benchmarking start-loop (cluster)…\n');
    phases.push(await withCluster(cli, (cluster) => startLoop(cli, cluster)));
    process.stderr.write('benchmarking the floor (cluster)…\n');
    phases.push(await withCluster(cli, (cluster) => floorBurst(cli, cluster)));
    const clusterDatabase = await createScratchDatabase('hookflow_bench');
    try {
      process.stderr.write('benchmarking hookflow (PostgreSQL, cluster)…\n');
      phases.push(
        ...(await withCluster(cli, (cluster) =>
          benchHookflow('hookflow, PostgreSQL, cluster', clusterDatabase.url, cli, cluster.address),
        )),
      );
    } finally {
      await clusterDatabase.drop();
    }
  }
  if (on('octokit')) {
    process.stderr.write('benchmarking octokit…\n');
    phases.push(...(await benchOctokit()));
  }
  report(phases);
}

function report(phases: Phase[]): void {
  const fmt = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(d));
  const date = new Date().toISOString().slice(0, 10);
  // hookflow's own settings from this environment reach the hookflow it starts: the one measured here is named.
  const local = process.env.HOOKFLOW_LOCAL_HANDLERS
    ? `HOOKFLOW_LOCAL_HANDLERS=${process.env.HOOKFLOW_LOCAL_HANDLERS} `
    : '';
  const command = `${local}npm run bench:delivery  (${process.env.BENCH_TARGETS ? `BENCH_TARGETS=${[...TARGETS].join(',')} ` : ''}BENCH_DURATION_S=${DURATION_S} BENCH_PACED_RATE=${PACED_RATE} BENCH_BURST=${BURST} BENCH_BURST_CONNECTIONS=${BURST_CONNECTIONS} BENCH_SINGLES=${SINGLES}${LABEL ? ` BENCH_LABEL=${LABEL.slice(1)}` : ''})`;
  const loop = phases.find((p) => p.target === 'start-loop')?.completedPerS;
  const clusterLoop = phases.find((p) => p.target === 'start-loop, cluster')?.completedPerS;
  const floor = phases.find((p) => p.target === 'floor, in memory')?.completedPerS;
  const fileFloor = phases.find((p) => p.target === 'floor, file database')?.completedPerS;
  const clusterFloor = phases.find((p) => p.target === 'floor, cluster')?.completedPerS;
  const lines = [
    `# Delivery benchmark, ${date}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    'hookflow runs as `npm start` does: server, worker and an app with one no-op `issues.opened` handler in one process, with its own `temporal server start-dev` (file database), on the embedded store and on the local PostgreSQL. Times are from the POST leaving the benchmark to the handler\'s first line ("handler") and to the workflow\'s close time in Temporal ("done"), in ms.',
    '',
    '| target | phase | deliveries | non-2xx | ack p50 | ack p99 | ack max | handler p50 | handler p90 | handler p99 | done p50 | done p90 | done p99 | completed/s | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...phases.map(
      (p) =>
        `| ${p.target} | ${p.phase} | ${p.deliveries} | ${p.non2xx} | ${fmt(p.ackP50)} | ${fmt(p.ackP99)} | ${fmt(p.ackMax)} | ${fmt(p.handlerP50)} | ${fmt(p.handlerP90)} | ${fmt(p.handlerP99)} | ${fmt(p.doneP50)} | ${fmt(p.doneP90)} | ${fmt(p.doneP99)} | ${fmt(p.completedPerS, 1)} | ${p.note ?? ''} |`,
    ),
    '',
    ...(TARGETS.has('start-loop')
      ? [
          `Burst target: completed/s at least half the start loop's (${fmt(loop, 1)}/s → ${fmt(loop === undefined ? undefined : loop / 2, 1)}/s; on the cluster ${fmt(clusterLoop, 1)}/s → ${fmt(clusterLoop === undefined ? undefined : clusterLoop / 2, 1)}/s). Single-delivery targets: handler p50 < 50 ms, done p50 < 150 ms.`,
        ]
      : []),
    ...(TARGETS.has('floor')
      ? [
          `Floor: a bare worker of the same SDK completes a burst of empty workflows (one workflow task each) at ${fmt(floor, 1)}/s on a dev server in memory like the start loop's (${fmt(floor && loop && (100 * floor) / loop, 0)}% of the start loop), ${fmt(fileFloor, 1)}/s on one with a file database like hookflow's (${fmt(fileFloor && loop && (100 * fileFloor) / loop, 0)}%), ${fmt(clusterFloor, 1)}/s on the cluster (${fmt(clusterFloor && clusterLoop && (100 * clusterFloor) / clusterLoop, 0)}% of its start loop): no design that runs a workflow per delivery completes a burst faster here. The floor's starts come from the benchmark's own client (its CPU not counted); the worker's process is in the hookflow column below.`,
        ]
      : []),
    ...(TARGETS.has('cluster')
      ? [
          'The cluster rows: `temporal-server` 1.29.1 with all four services in one process on the local PostgreSQL (4 history shards), a fresh one for each; hookflow as `npm start` with `TEMPORAL_ADDRESS` set to it (server, worker and app in one process, no dev server of its own).',
        ]
      : []),
    '',
    "## Where a burst's CPU goes",
    '',
    `CPU time per delivery over the burst (from its first POST until every workflow completed), by process, from /proc: hookflow's process (server, worker, app, its threads), the Temporal server (the dev server, or the cluster's \`temporal-server\`) and PostgreSQL (every backend on the machine). The Temporal figure includes this benchmark's own count of completed workflows (a visibility count every 100 ms, from the moment every handler has run until all are counted). With ${os.cpus().length} cores, ${os.cpus().length} × 1000 ms of CPU per second is the most a burst could use: 1000 × cores / (sum per delivery) is the rate this CPU allows.`,
    '',
    '| target | hookflow ms | Temporal ms | PostgreSQL ms | sum ms | rate the CPU allows /s | completed/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...phases.flatMap((p) => {
      const c = p.cpuPerDelivery;
      if (!c) return [];
      const sum = c.hookflow + c.temporal + c.postgres;
      return [
        `| ${p.target} | ${fmt(c.hookflow, 1)} | ${fmt(c.temporal, 1)} | ${fmt(c.postgres, 1)} | ${fmt(sum, 1)} | ${fmt((1000 * os.cpus().length) / sum, 1)} | ${fmt(p.completedPerS, 1)} |`,
      ];
    }),
    '',
    "## Where a single delivery's time goes",
    '',
    `Median ms after the POST of each step of a single delivery (${SINGLES} of them, one at a time): its acknowledgement, each event of its workflow's history (as the Temporal server stamped it; numbered by kind), and the handler's first line.`,
    '',
    ...phases.flatMap((p) =>
      p.timeline
        ? [
            `### ${p.target}`,
            '',
            '| step | ms after the POST (p50) |',
            '| --- | ---: |',
            ...p.timeline.map((t) => `| ${t.step} | ${t.p50} |`),
            '',
          ]
        : [],
    ),
  ];
  writeResults(`delivery-${date}${LABEL}`, lines, { date, command, phases });
}

exitOnError(main);
