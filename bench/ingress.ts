// One file though over 300 lines: the variants, the load and the report are one comparison, read together.
// `npm run bench:ingress`: the front door side by side with its peers, one run, same machine, same
// payload, same concurrency:
//   hookflow       — the full front door: verify, ledger row in PostgreSQL (the answer), then the
//                    workflow start off the request's path, with tracing (every request exported
//                    over OTLP to a local sink) and metrics on
//   hookflow (telemetry off) — the same with neither: what telemetry costs is the difference
//   hookflow (ack after start) — telemetry on, answering only after the workflow start too
//                    (HOOKFLOW_ACK_AFTER=start, the design before): what the ledger-first answer buys
//   hookflow (encryption off) — telemetry on, nothing encrypted (HOOKFLOW_HISTORY_ENCRYPTION=off):
//                    what sealing the body and encrypting the workflow's input costs (the others encrypt)
//   hookflow (cluster) — telemetry on, against a real Temporal server on PostgreSQL
//                    (temporal-server, scripts/temporal-cluster.ts) instead of the dev server: what
//                    production's Temporal costs the answer
//   hookflow (sampled) — telemetry on with OpenTelemetry's parent-based ratio sampler
//                    (BENCH_SAMPLE_RATIO of deliveries traced): what tracing costs when sampled
//   hookflow (metrics only) — metrics on, no tracer: which share of telemetry's cost is metrics
//   hookflow (JS client starts) — telemetry on, every workflow start through the JavaScript gRPC
//                    client (@grpc/grpc-js) instead of the server's native connection: what the
//                    native one saves
//                    (the eight take turns leading over BENCH_TELEMETRY_ROUNDS rounds, so a drift of
//                    this noisy machine falls on all alike; BENCH_VARIANTS picks some of them)
//   hookflow, paired — telemetry on and off at the same time, against one Temporal and one
//                    PostgreSQL, over BENCH_PAIRED_ROUNDS rounds (0 by default): the same moment's
//                    conditions for both, so telemetry's share of CPU per request is resolved in
//                    fewer rounds than by taking turns
//   octokit        — @octokit/webhooks' Node middleware with a no-op handler (what Probot runs)
//   koa-verify     — a bare Koa handler that only verifies the signature (the floor)
//   start-loop     — a plain loop of client.workflow.start (the ceiling Temporal sets), on the dev
//                    server and on the cluster
// Each target runs in its own process (its peak RSS is its own); the load comes from autocannon.
// Results go to bench/results/ingress-<date>.{md,json}.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import examples from '@octokit/webhooks-examples/api.github.com/index.json';
import { freePort } from '../lib/net';
import { findTemporalCli } from '../lib/temporal/binaries';
import { createScratchDatabase } from '../test/helpers/scratch-database';
import { startBenchCluster } from './cluster';
import { processCpuMs } from './process-cpu';
import { startOtlpSink } from './otlp-sink';
import { exitOnError, writeResults } from './results';
import { startDevServer } from '../lib/temporal/dev-server';
import { GITHUB_SHA256, sign } from '../server/signature';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const ROUNDS = Number(process.env.BENCH_TELEMETRY_ROUNDS ?? 2);
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 0);
const ALL_VARIANTS = [
  'on',
  'off',
  'sampled',
  'metrics',
  'ack-after-start',
  'plain',
  'cluster',
  'js-client',
] as const;
type Variant = (typeof ALL_VARIANTS)[number];
/** Which hookflow variants run (BENCH_VARIANTS, comma-separated; all by default). */
const VARIANTS: Variant[] = (process.env.BENCH_VARIANTS ?? ALL_VARIANTS.join(',')).split(',').map((v) => {
  if (!(ALL_VARIANTS as readonly string[]).includes(v)) {
    throw new Error(`BENCH_VARIANTS: unknown variant "${v}"; known: ${ALL_VARIANTS.join(', ')}`);
  }
  return v as Variant;
});
// Renamed settings are refused, not ignored: a run that silently measured something else is worse.
if (process.env.BENCH_JS_STARTS !== undefined) {
  throw new Error(
    'BENCH_JS_STARTS is gone: the js-client variant (BENCH_VARIANTS=js-client) runs hookflow with HOOKFLOW_NATIVE_STARTS=false',
  );
}
/** The share of traces the sampled variant keeps (OTEL_TRACES_SAMPLER=parentbased_traceidratio). */
const SAMPLE_RATIO = Number(process.env.BENCH_SAMPLE_RATIO ?? 0.1);
/** Names the results file beside the date, for partial runs. */
const LABEL = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : '';
const SECRET = 'bench-secret';

interface Row {
  target: string;
  temporal?: 'dev server' | 'cluster';
  telemetry?: 'on' | 'off' | 'sampled' | 'metrics';
  encryption?: 'on' | 'off';
  rps: number;
  p50: number;
  p99: number;
  sustainedP50?: number | undefined;
  sustainedP99?: number | undefined;
  non2xx: number;
  peakRssMb: number;
  /** The target process's CPU time (user + system) per answered request, in the as-fast-as-it-goes phase. */
  cpuMsPerRequest?: number | undefined;
  /** The same over the paced phase: the same offered load in every run, the machine not saturated. */
  cpuMsPerRequestPaced?: number | undefined;
}

/** One paired round: hookflow's CPU ms per request with telemetry on and off, run side by side. */
interface PairedRound {
  paced: { on: number; off: number };
  saturated: { on: number; off: number };
}

const issuesOpened = (examples as { name: string; examples: { action?: string }[] }[])
  .find((g) => g.name === 'issues')!
  .examples.find((e) => e.action === 'opened')!;
const body = Buffer.from(JSON.stringify(issuesOpened));
const headers = {
  'content-type': 'application/json',
  'x-github-event': 'issues',
  'x-hub-signature-256': sign(GITHUB_SHA256, SECRET, body),
  'user-agent': 'GitHub-Hookshot/bench',
};

/** A process's peak resident set size (VmHWM), in MB, from /proc. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function spawnTarget(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'target.ts'), name], {
    env: { ...process.env, ...env, BENCH_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(READY|RESULT) (.*)$/m.exec(out);
      if (m) resolve(m[2]);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, line };
}

function load(url: string, options: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        // Every request is a new delivery; the signature covers the body only.
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-github-delivery': randomUUID() } }),
      },
    ],
    ...options,
  });
}

/**
 * An evenly paced open loop: one new delivery every 1000/rate ms, whatever the answers do.
 * (autocannon's `overallRate` lets each connection send its whole second's share back to back at
 * the start of each second, which measures bursts, not a sustained rate.)
 */
async function paced(
  url: string,
  ms: number,
): Promise<{ p50: number; p99: number; failures: number; sent: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < ms; i++) {
    const due = t0 + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    inFlight.push(
      (async () => {
        const start = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { ...headers, 'x-github-delivery': randomUUID() },
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
        if (res.status < 200 || res.status > 299) failures++;
      })().catch(() => void failures++),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: pick(0.5), p99: pick(0.99), failures, sent: inFlight.length };
}

async function benchServer(name: string, env: Record<string, string>, label = name): Promise<Row> {
  const { child, line } = spawnTarget(name, env);
  try {
    const url = await line;
    // Warm-up at the paced rate, then the paced run (the latency at RATE/s), then as fast as it goes.
    await paced(url, 3_000);
    const cpuPacedBefore = processCpuMs(child.pid!);
    const sustained = await paced(url, DURATION_S * 1000);
    const cpuMsPerRequestPaced = (processCpuMs(child.pid!) - cpuPacedBefore) / Math.max(1, sustained.sent);
    const cpuBefore = processCpuMs(child.pid!);
    const full = await load(url, {});
    const cpuMsPerRequest = (processCpuMs(child.pid!) - cpuBefore) / Math.max(1, full.requests.total);
    return {
      target: label,
      ...(env.BENCH_TELEMETRY ? { telemetry: env.BENCH_TELEMETRY as 'on' | 'off' | 'metrics' } : {}),
      ...(env.BENCH_ENCRYPTION ? { encryption: env.BENCH_ENCRYPTION as 'on' | 'off' } : {}),
      rps: full.requests.average,
      p50: full.latency.p50,
      p99: full.latency.p99,
      sustainedP50: sustained.p50,
      sustainedP99: sustained.p99,
      non2xx: full.non2xx + full.errors + sustained.failures,
      peakRssMb: peakRssMb(child.pid!),
      cpuMsPerRequest,
      cpuMsPerRequestPaced,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * Telemetry on and off at once, each loaded alike (the paced rate each, then as fast as each goes),
 * against one Temporal and one PostgreSQL server: whatever the machine does meanwhile, both meet
 * it. Each has a database of its own, so neither's outbox relay takes the other's deliveries.
 */
async function benchPaired(env: Record<string, string>, on: Record<string, string>): Promise<PairedRound> {
  const second = await createScratchDatabase('hookflow_bench');
  const targets = [
    spawnTarget('hookflow', { ...env, ...on }),
    spawnTarget('hookflow', { ...env, BENCH_DATABASE_URL: second.url, BENCH_TELEMETRY: 'off' }),
  ];
  try {
    const urls = await Promise.all(targets.map((t) => t.line));
    await Promise.all(urls.map((u) => paced(u, 3_000)));
    /** CPU ms per request of each target over `phase`, which answers how many requests each sent. */
    const perRequest = async (phase: (url: string) => Promise<number>) => {
      const before = targets.map((t) => processCpuMs(t.child.pid!));
      const sent = await Promise.all(urls.map(phase));
      const [onMs, offMs] = targets.map(
        (t, i) => (processCpuMs(t.child.pid!) - before[i]) / Math.max(1, sent[i]),
      );
      return { on: onMs, off: offMs };
    };
    return {
      paced: await perRequest(async (u) => (await paced(u, DURATION_S * 1000)).sent),
      saturated: await perRequest(async (u) => (await load(u, {})).requests.total),
    };
  } finally {
    for (const t of targets) t.child.kill('SIGKILL');
    await Promise.all(
      targets.map((t) =>
        t.child.exitCode === null && t.child.signalCode === null ? once(t.child, 'exit') : Promise.resolve(),
      ),
    );
    await second.drop();
  }
}

async function benchStartLoop(env: Record<string, string>, label = 'start-loop'): Promise<Row> {
  const { child, line } = spawnTarget('start-loop', {
    ...env,
    BENCH_CONNECTIONS: String(CONNECTIONS),
    BENCH_DURATION_S: String(DURATION_S),
    BENCH_RATE: String(RATE),
    BENCH_BODY: JSON.stringify({ key: 'github:-:x', provider: 'github', event: 'issues' }),
  });
  const r = JSON.parse(await line) as Omit<Row, 'target' | 'non2xx' | 'peakRssMb'>;
  const rss = peakRssMb(child.pid!);
  child.kill('SIGKILL');
  return { target: label, ...r, non2xx: 0, peakRssMb: rss };
}

async function main(): Promise<void> {
  const cli = await findTemporalCli(process.env, (m) => process.stderr.write(`${m}\n`));
  const sink = await startOtlpSink();
  /**
   * Each target that starts workflows gets a fresh Temporal dev server and database: the in-memory
   * dev server slows down as the workflows of earlier runs pile up, which would favour whoever runs first.
   */
  async function fresh<T>(
    fn: (env: Record<string, string>) => Promise<T>,
    kind: 'dev server' | 'cluster' = 'dev server',
  ): Promise<T> {
    const [temporal, database] = await Promise.all([
      kind === 'dev server'
        ? freePort().then((port) => startDevServer({ cli, port, namespace: 'default', stdio: 'quiet' }))
        : startBenchCluster(cli).then((c) => ({ address: c.address, stop: () => c.destroy() })),
      createScratchDatabase('hookflow_bench'),
    ]);
    try {
      return await fn({ BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_DATABASE_URL: database.url });
    } finally {
      await temporal.stop();
      await database.drop();
    }
  }
  const rows: Row[] = [];
  const paired: PairedRound[] = [];
  const key = randomBytes(32).toString('base64');
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // The variants take turns leading, so a drift of this noisy machine falls on all alike.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]);
      for (const variant of order) {
        const label =
          variant === 'on'
            ? `hookflow #${round}`
            : variant === 'off'
              ? `hookflow (telemetry off) #${round}`
              : variant === 'plain'
                ? `hookflow (encryption off) #${round}`
                : variant === 'cluster'
                  ? `hookflow (cluster) #${round}`
                  : variant === 'sampled'
                    ? `hookflow (sampled ${+(100 * SAMPLE_RATIO).toFixed(2)}%) #${round}`
                    : variant === 'metrics'
                      ? `hookflow (metrics only) #${round}`
                      : variant === 'js-client'
                        ? `hookflow (JS client starts) #${round}`
                        : `hookflow (ack after start) #${round}`;
        process.stderr.write(`benchmarking ${label}…\n`);
        const telemetry = variant === 'off' ? 'off' : variant === 'metrics' ? 'metrics' : 'on';
        const env = {
          BENCH_TELEMETRY: telemetry,
          ...(telemetry === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
          ...(variant === 'ack-after-start' ? { BENCH_ACK_AFTER: 'start' } : {}),
          ...(variant === 'js-client' ? { BENCH_NATIVE_STARTS: 'false' } : {}),
          ...(variant === 'sampled'
            ? {
                OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
                OTEL_TRACES_SAMPLER_ARG: String(SAMPLE_RATIO),
              }
            : {}),
          BENCH_ENCRYPTION: variant === 'plain' ? 'off' : 'on',
          BENCH_ENCRYPTION_KEY: key,
        };
        const temporal = variant === 'cluster' ? 'cluster' : 'dev server';
        const row = await fresh((e) => benchServer('hookflow', { ...e, ...env }, label), temporal);
        rows.push({ ...row, temporal, ...(variant === 'sampled' ? { telemetry: 'sampled' as const } : {}) });
      }
    }
    for (let round = 1; round <= PAIRED_ROUNDS; round++) {
      process.stderr.write(`benchmarking hookflow, telemetry on and off paired #${round}…\n`);
      const common = { BENCH_ENCRYPTION: 'on', BENCH_ENCRYPTION_KEY: key };
      const on = { BENCH_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
      paired.push(await fresh((e) => benchPaired({ ...e, ...common }, on)));
    }
    for (const name of ['octokit', 'koa-verify']) {
      process.stderr.write(`benchmarking ${name}…\n`);
      rows.push(await benchServer(name, {}));
    }
    process.stderr.write('benchmarking start-loop…\n');
    rows.push({ ...(await fresh((e) => benchStartLoop(e))), temporal: 'dev server' });
    if (VARIANTS.includes('cluster')) {
      process.stderr.write('benchmarking start-loop (cluster)…\n');
      rows.push({
        ...(await fresh((e) => benchStartLoop(e, 'start-loop (cluster)'), 'cluster')),
        temporal: 'cluster',
      });
    }
  } finally {
    await sink.close();
  }
  // Only the telemetry-on runs send the sink anything.
  report(rows, paired, sink.received);
}

/** `exported`: OTLP requests and bytes the telemetry-on runs sent. */
function report(rows: Row[], paired: PairedRound[], exported: { requests: number; bytes: number }): void {
  const fmt = (n: number | undefined, d = 1) => (n === undefined ? '—' : n.toFixed(d));
  const mean = (rs: Row[], pick: (r: Row) => number | undefined) =>
    rs.reduce((sum, r) => sum + (pick(r) ?? 0), 0) / rs.length;
  // The telemetry comparison is between the ledger-first runs only.
  const ackAfterStart = rows.filter((r) => r.target.includes('ack after start'));
  const plain = rows.filter((r) => r.encryption === 'off');
  const cluster = rows.filter((r) => r.target.startsWith('hookflow (cluster)'));
  const jsClient = rows.filter((r) => r.target.startsWith('hookflow (JS client starts)'));
  const on = rows.filter(
    (r) =>
      r.telemetry === 'on' &&
      ![ackAfterStart, plain, cluster, jsClient].some((variant) => variant.includes(r)),
  );
  const off = rows.filter((r) => r.telemetry === 'off');
  const encryptionCost = 1 - mean(on, (r) => r.rps) / mean(plain, (r) => r.rps);
  const cpuPlain = mean(plain, (r) => r.cpuMsPerRequest);
  const hookflow: Row = {
    target: 'hookflow',
    rps: mean(on, (r) => r.rps),
    p50: mean(on, (r) => r.p50),
    p99: mean(on, (r) => r.p99),
    sustainedP99: mean(on, (r) => r.sustainedP99),
    non2xx: 0,
    peakRssMb: 0,
  };
  const bare = { rps: mean(off, (r) => r.rps), sustainedP99: mean(off, (r) => r.sustainedP99) };
  const cost = 1 - hookflow.rps / bare.rps;
  const cpuOn = mean(on, (r) => r.cpuMsPerRequest);
  const cpuOff = mean(off, (r) => r.cpuMsPerRequest);
  const ceiling = rows.find((r) => r.target === 'start-loop')!;
  const clusterCeiling = rows.find((r) => r.target === 'start-loop (cluster)');
  const sampled = rows.filter((r) => r.telemetry === 'sampled');
  const cpuSampled = mean(sampled, (r) => r.cpuMsPerRequest);
  const metricsOnly = rows.filter((r) => r.telemetry === 'metrics');
  const cpuMetrics = mean(metricsOnly, (r) => r.cpuMsPerRequest);
  /** CPU per request at the paced rate: mean, and the lowest and highest round, for some rows. */
  const pacedCpu = (rs: Row[]) => {
    const values = rs.flatMap((r) => (r.cpuMsPerRequestPaced === undefined ? [] : [r.cpuMsPerRequestPaced]));
    const avg = values.reduce((a, b) => a + b, 0) / values.length;
    return { avg, text: `${fmt(avg, 2)} ms (${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)})` };
  };
  const pacedOff = pacedCpu(off);
  const pacedVs = (rs: Row[], name: string) => {
    const p = pacedCpu(rs);
    const more = p.avg / pacedOff.avg - 1;
    return `${name} ${p.text}, ${more >= 0 ? '+' : ''}${(100 * more).toFixed(1)}%${name === 'on' || name === 'sampled' ? ` (target ≤ 10%: ${more <= 0.1 ? 'met' : 'NOT met'})` : ''}`;
  };
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:ingress  (BENCH_CONNECTIONS=${CONNECTIONS} BENCH_DURATION_S=${DURATION_S} BENCH_RATE=${RATE} BENCH_TELEMETRY_ROUNDS=${ROUNDS} BENCH_VARIANTS=${VARIANTS.join(',')} BENCH_SAMPLE_RATIO=${SAMPLE_RATIO} BENCH_PAIRED_ROUNDS=${PAIRED_ROUNDS}${LABEL ? ` BENCH_LABEL=${LABEL.slice(1)}` : ''})`;
  /** Telemetry's share of CPU per request in paired rounds: each round's, and their mean. */
  const pairedCost = (pick: (r: PairedRound) => { on: number; off: number }) => {
    const each = paired.map((r) => pick(r).on / pick(r).off - 1);
    const avg = each.reduce((a, b) => a + b, 0) / each.length;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
    return `${pct(avg)} (rounds: ${each.map(pct).join(', ')}; target ≤ 10%: ${avg <= 0.1 ? 'met' : 'NOT met'})`;
  };
  const lines = [
    `# Ingress benchmark, ${date}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `Payload: the \`issues.opened\` example of @octokit/webhooks-examples (${body.length} bytes), signed; a new delivery ID per request.`,
    `Load, from the orchestrating process: a 3 s warm-up and then ${DURATION_S} s of deliveries evenly paced at ${RATE}/s (an open loop: one every ${1000 / RATE} ms, whatever the answers do), then autocannon with ${CONNECTIONS} connections as fast as they go for ${DURATION_S} s.`,
    'Temporal: a local `temporal server start-dev` (in memory), or for the cluster rows `temporal-server` 1.29.1 with all four services in one process on the local PostgreSQL (4 history shards); a fresh one (and a fresh database) for each hookflow run and each start loop, no worker running; hookflow stores its ledger in the local PostgreSQL.',
    '',
    `| target | Temporal | tracing + metrics | encryption | req/s | p50 ms | p99 ms | p50 ms @ ${RATE}/s | p99 ms @ ${RATE}/s | non-2xx + errors | peak RSS MB | CPU ms / request | CPU ms / request @ ${RATE}/s |`,
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.target} | ${r.temporal ?? '—'} | ${r.telemetry ?? '—'} | ${r.encryption ?? '—'} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.sustainedP50)} | ${fmt(r.sustainedP99)} | ${r.non2xx} | ${fmt(r.peakRssMb, 0)} | ${fmt(r.cpuMsPerRequest, 2)} | ${fmt(r.cpuMsPerRequestPaced, 2)} |`,
    ),
    '',
    `Telemetry: tracing exported over OTLP/HTTP to a local sink (${exported.requests} export requests, ${(exported.bytes / 1024).toFixed(0)} KiB), metrics on /metrics.`,
    '',
    ...(on.length > 0 && off.length > 0
      ? [
          `Taking turns: mean req/s over ${ROUNDS} rounds ${fmt(bare.rps, 0)} off → ${fmt(hookflow.rps, 0)} on, a throughput cost of ${(100 * cost).toFixed(1)}% (target ≤ 10%: ${cost <= 0.1 ? 'met' : 'NOT met'}); ` +
            `mean p99 @ ${RATE}/s ${fmt(bare.sustainedP99)} ms off, ${fmt(hookflow.sustainedP99)} ms on; ` +
            `hookflow's own CPU per request ${fmt(cpuOff, 2)} ms off → ${fmt(cpuOn, 2)} ms on (+${(100 * (cpuOn / cpuOff - 1)).toFixed(1)}%; target ≤ 10%: ${cpuOn / cpuOff - 1 <= 0.1 ? 'met' : 'NOT met'}).`,
          '',
        ]
      : []),
    ...(on.length > 0 && off.length > 0
      ? [
          `At an even ${RATE}/s (the same offered load in every run, the machine not saturated), hookflow's CPU per request, mean over the rounds (lowest–highest round): ` +
            [
              `off ${pacedOff.text}`,
              pacedVs(on, 'on'),
              ...(sampled.length > 0 ? [pacedVs(sampled, 'sampled')] : []),
              ...(metricsOnly.length > 0 ? [pacedVs(metricsOnly, 'metrics only')] : []),
            ].join('; ') +
            '.',
          '',
        ]
      : []),
    ...(paired.length === 0
      ? []
      : [
          `Paired rounds (telemetry on and off running at the same time against one Temporal dev server and one PostgreSQL server, a database each, each loaded alike), hookflow's CPU ms per request:`,
          '',
          `| round | on @ ${RATE}/s | off @ ${RATE}/s | on, saturated | off, saturated |`,
          '| ---: | ---: | ---: | ---: | ---: |',
          ...paired.map(
            (r, i) =>
              `| ${i + 1} | ${fmt(r.paced.on, 2)} | ${fmt(r.paced.off, 2)} | ${fmt(r.saturated.on, 2)} | ${fmt(r.saturated.off, 2)} |`,
          ),
          '',
          `Telemetry's cost in CPU per request, paired: at ${RATE}/s ${pairedCost((r) => r.paced)}; saturated ${pairedCost((r) => r.saturated)}.`,
          '',
        ]),
    ...(sampled.length === 0
      ? []
      : [
          `Sampled tracing (\`OTEL_TRACES_SAMPLER=parentbased_traceidratio\`, \`OTEL_TRACES_SAMPLER_ARG=${SAMPLE_RATIO}\`: ${+(100 * SAMPLE_RATIO).toFixed(2)}% of deliveries traced, each whole; metrics on): ` +
            `mean req/s ${fmt(
              mean(sampled, (r) => r.rps),
              0,
            )}; mean p99 @ ${RATE}/s ${fmt(mean(sampled, (r) => r.sustainedP99))} ms; ` +
            `CPU per request ${fmt(cpuOff, 2)} ms off → ${fmt(cpuSampled, 2)} ms sampled (+${(100 * (cpuSampled / cpuOff - 1)).toFixed(1)}%; target ≤ 10%: ${cpuSampled / cpuOff - 1 <= 0.1 ? 'met' : 'NOT met'}).`,
          '',
        ]),
    ...(metricsOnly.length === 0
      ? []
      : [
          `Metrics only (no tracer registered): mean req/s ${fmt(
            mean(metricsOnly, (r) => r.rps),
            0,
          )}; mean p99 @ ${RATE}/s ${fmt(mean(metricsOnly, (r) => r.sustainedP99))} ms; ` +
            `CPU per request ${fmt(cpuOff, 2)} ms off → ${fmt(cpuMetrics, 2)} ms with metrics (+${(100 * (cpuMetrics / cpuOff - 1)).toFixed(1)}%).`,
          '',
        ]),
    ...(plain.length > 0
      ? [
          `Encryption at rest (the body sealed in the ledger, the workflow's input encrypted; both with telemetry on): ` +
            `mean req/s ${fmt(
              mean(plain, (r) => r.rps),
              0,
            )} off → ${fmt(hookflow.rps, 0)} on, a throughput cost of ${(100 * encryptionCost).toFixed(1)}% (target ≤ 10%: ${encryptionCost <= 0.1 ? 'met' : 'NOT met'}); ` +
            `mean p99 @ ${RATE}/s ${fmt(mean(plain, (r) => r.sustainedP99))} ms off, ${fmt(hookflow.sustainedP99)} ms on; ` +
            `CPU per request ${fmt(cpuPlain, 2)} ms off → ${fmt(cpuOn, 2)} ms on (+${(100 * (cpuOn / cpuPlain - 1)).toFixed(1)}%).`,
          '',
        ]
      : []),
    ...(jsClient.length > 0
      ? [
          `Workflow starts (both with telemetry on): through the server's native connection (the default) — CPU per request ${fmt(cpuOn, 2)} ms, ${pacedCpu(on).text} @ ${RATE}/s, mean req/s ${fmt(hookflow.rps, 0)}; ` +
            `through the JavaScript client — ${fmt(
              mean(jsClient, (r) => r.cpuMsPerRequest),
              2,
            )} ms, ${pacedCpu(jsClient).text} @ ${RATE}/s, ${fmt(
              mean(jsClient, (r) => r.rps),
              0,
            )} req/s.`,
          '',
        ]
      : []),
    ...(ackAfterStart.length > 0
      ? [
          `Acknowledgement designs (both with telemetry on): answering once the ledger row is committed (the default) — mean req/s ${fmt(hookflow.rps, 0)}, mean p99 @ ${RATE}/s ${fmt(hookflow.sustainedP99)} ms; answering after the workflow start too (\`HOOKFLOW_ACK_AFTER=start\`) — ${fmt(
            mean(ackAfterStart, (r) => r.rps),
            0,
          )} req/s, ${fmt(mean(ackAfterStart, (r) => r.sustainedP99))} ms.`,
          '',
        ]
      : []),
    ...(cluster.length > 0 && clusterCeiling
      ? [
          `Dev server and cluster (telemetry and encryption on): hookflow's mean req/s ${fmt(hookflow.rps, 0)} on the dev server, ${fmt(
            mean(cluster, (r) => r.rps),
            0,
          )} on the cluster; mean p99 @ ${RATE}/s ${fmt(hookflow.sustainedP99)} ms and ${fmt(mean(cluster, (r) => r.sustainedP99))} ms; ` +
            `CPU per request ${fmt(cpuOn, 2)} ms and ${fmt(
              mean(cluster, (r) => r.cpuMsPerRequest),
              2,
            )} ms. ` +
            `The start loop: ${fmt(ceiling.rps, 0)} starts/s on the dev server, ${fmt(clusterCeiling.rps, 0)} on the cluster; p99 @ ${RATE}/s ${fmt(ceiling.sustainedP99)} ms and ${fmt(clusterCeiling.sustainedP99)} ms.`,
          '',
        ]
      : []),
    ...(on.length > 0
      ? [
          `Targets: p99 acknowledgement at ${RATE}/s at most 1.5× the start loop's (${fmt(ceiling.sustainedP99)} ms) and under 50 ms — hookflow ${fmt(hookflow.sustainedP99)} ms (${(hookflow.sustainedP99 ?? Infinity) < Math.min(50, 1.5 * (ceiling.sustainedP99 ?? 0)) ? 'met' : 'NOT met'}); saturated throughput at least the start loop's — ${((100 * hookflow.rps) / ceiling.rps).toFixed(0)}% (${hookflow.rps >= ceiling.rps ? 'met' : 'NOT met'}).`,
          '',
        ]
      : []),
  ];
  writeResults(`ingress-${date}${LABEL}`, lines, { date, command, rows, paired });
}

exitOnError(main);
