// One benchmark target per process, so each one's peak RSS is its own:
//   tsx bench/target.ts <hookflow|octokit|koa-verify|start-loop>
// Servers print `READY <url>`; the start loop runs itself and prints `RESULT <json>`.
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { openStore } from '../lib/storage';
import { startTracing } from '../lib/telemetry/tracing';
import type { WorkflowType } from '../lib/temporal/workflow-type';
import { serve } from '../server/serve';
import { GITHUB_SHA256, verifySignature } from '../server/signature';

const SECRET = process.env.BENCH_SECRET ?? 'bench-secret';
const PATH = '/api/github/webhooks';

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`),
    ),
  );
}

/**
 * The front door; BENCH_TELEMETRY=on traces every request (exported over OTLP) and counts metrics,
 * `metrics` only counts metrics, off does neither.
 */
async function hookflow(): Promise<string> {
  const telemetry = process.env.BENCH_TELEMETRY === 'on';
  const metrics = telemetry || process.env.BENCH_TELEMETRY === 'metrics';
  const config = loadConfig({
    PORT: '0',
    HOOKFLOW_METRICS_PORT: '0',
    HOST: '127.0.0.1',
    WEBHOOK_SECRET: SECRET,
    TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: 'bench',
    DATABASE_URL: process.env.BENCH_DATABASE_URL,
    LOG_LEVEL: 'silent',
    // Encryption at rest (the default) or not: BENCH_ENCRYPTION, with the run's key.
    HOOKFLOW_HISTORY_ENCRYPTION: process.env.BENCH_ENCRYPTION ?? 'on',
    HOOKFLOW_ENCRYPTION_KEY: process.env.BENCH_ENCRYPTION_KEY,
    // `start`: the answer waits for the workflow start too (the design before ledger-first).
    ...(process.env.BENCH_ACK_AFTER ? { HOOKFLOW_ACK_AFTER: process.env.BENCH_ACK_AFTER } : {}),
    // `false`: every start through the JavaScript client, as before the server made native starts.
    ...(process.env.BENCH_NATIVE_STARTS ? { HOOKFLOW_NATIVE_STARTS: process.env.BENCH_NATIVE_STARTS } : {}),
    // The OTLP exporter itself reads the endpoint from this process's environment too.
    ...(telemetry ? { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const store = await openStore(config);
  const tracing = telemetry ? startTracing(config.telemetry, 'hookflow-bench') : undefined;
  const server = await serve(config, store, config.temporal.address!, createLogger('silent'), {
    metrics: metrics ? undefined : false,
    traced: tracing !== undefined,
  });
  return `${server.url.replace('localhost', '127.0.0.1')}${PATH}`;
}

async function octokit(): Promise<string> {
  // What Probot runs: @octokit/webhooks' Node middleware, here with a no-op handler.
  const { Webhooks, createNodeMiddleware } = await import('@octokit/webhooks');
  const webhooks = new Webhooks({ secret: SECRET });
  // With BENCH_MARKS, the handler's first line notes when it started, as the benchmarks' app does.
  const marks = process.env.BENCH_MARKS;
  webhooks.onAny(marks ? (event) => appendFileSync(marks, `${event.id} ${Date.now()}\n`) : () => undefined);
  const middleware = createNodeMiddleware(webhooks, {
    path: PATH,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  return listen(http.createServer((req, res) => void middleware(req, res)));
}

async function koaVerify(): Promise<string> {
  // The floor of any verifying receiver: read the body, check the signature, answer.
  const app = new Koa();
  app.use(async (ctx) => {
    const body = await getRawBody(ctx.req, { limit: 25 * 1024 * 1024 });
    const ok = verifySignature(GITHUB_SHA256, [SECRET], body, ctx.get('x-hub-signature-256')) === 'valid';
    ctx.status = ok ? 202 : 401;
    ctx.body = { status: ok ? 'accepted' : 'rejected' };
  });
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's handler handles its own errors
  return listen(http.createServer(app.callback()));
}

/** The ceiling Temporal sets: `client.workflow.start` paced at BENCH_RATE starts/s (open loop, the
 * latency at that rate), then in a loop at the same concurrency as the servers get (as fast as it goes). */
async function startLoop(): Promise<void> {
  const connection = await Connection.connect({ address: process.env.BENCH_TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  const concurrency = Number(process.env.BENCH_CONNECTIONS);
  const durationMs = Number(process.env.BENCH_DURATION_S) * 1000;
  const rate = Number(process.env.BENCH_RATE);
  const arg = JSON.parse(process.env.BENCH_BODY!) as unknown;
  let n = 0;
  const start = async (latencies: number[]) => {
    const t0 = performance.now();
    await client.workflow.start('onIssues' satisfies WorkflowType, {
      taskQueue: 'bench-loop',
      workflowId: `loop-${process.pid}-${n++}`,
      args: [arg],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'FAIL',
    });
    latencies.push(performance.now() - t0);
  };

  const pacedRun = async (ms: number, latencies: number[]) => {
    const inFlight: Promise<void>[] = [];
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < ms; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      inFlight.push(start(latencies));
    }
    await Promise.all(inFlight);
  };
  await pacedRun(3_000, []); // warm-up, as the servers get
  const paced: number[] = [];
  await pacedRun(durationMs, paced);

  const closed: number[] = [];
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) await start(closed);
    }),
  );

  const pick = (list: number[], q: number) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  };
  process.stdout.write(
    `RESULT ${JSON.stringify({
      rps: closed.length / (durationMs / 1000),
      p50: pick(closed, 0.5),
      p99: pick(closed, 0.99),
      sustainedP50: pick(paced, 0.5),
      sustainedP99: pick(paced, 0.99),
    })}\n`,
  );
  await connection.close();
}

async function main(): Promise<void> {
  const which = process.argv[2];
  if (which === 'start-loop') return startLoop();
  const targets: Record<string, () => Promise<string>> = { hookflow, octokit, 'koa-verify': koaVerify };
  const target = targets[which ?? ''];
  if (!target)
    throw new Error(`unknown target ${which}; one of ${Object.keys(targets).join(', ')}, start-loop`);
  process.on('SIGINT', () => process.exit(0)); // an orderly exit, so `node --cpu-prof` can write its profile
  process.stdout.write(`READY ${await target()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
