// `npm run bench:workflow-cpu`: the worker's CPU per delivery workflow, inside the Temporal SDK's
// workflow sandbox, and where it goes. It replays a recorded delivery history (test/fixtures/histories/
// onIssues-04.json: a welcome delivery with five activities) BENCH_WORKFLOWS times per round with
// hookflow's workflow bundle as production builds it (interceptors included), and compares, in
// alternating rounds:
//   as shipped      — the SDK as hookflow runs it
//   no vm timeout   — the same, with the `timeout` option stripped from node:vm calls. An experiment
//                     only, not how hookflow runs: the SDK passes a timeout on every call into the
//                     sandbox (its deadlock detection), and Node starts and joins a watchdog thread for
//                     each such call (https://github.com/nodejs/node/issues/52261,
//                     https://github.com/nodejs/node/pull/47739). The difference is that cost.
// Replays run the workflow code on this thread, as a worker's workflow thread does, so the process's
// CPU time per workflow is the sandbox's cost without the server's. Results go to
// bench/results/workflow-cpu-<date>.{md,json}.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows, workflowSinks } from '../worker/create-worker';
import { exitOnError, writeResults } from './results';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const HISTORY = path.join(__dirname, '..', 'test', 'fixtures', 'histories', 'onIssues-04.json');

type Variant = 'as shipped' | 'no vm timeout';

// Count the calls into the sandbox, and strip their timeout in the experiment's rounds.
let calls = 0;
let stripTimeout = false;
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with each script as `this`
const runInContext = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (this: vm.Script, context, options): unknown {
  calls++;
  const rest = stripTimeout && options ? { ...options, timeout: undefined } : options;
  return runInContext.call(this, context, rest) as unknown;
};

interface Round {
  variant: Variant;
  cpuMsPerWorkflow: number;
  wallMsPerWorkflow: number;
  callsPerWorkflow: number;
}

async function replayRound(bundlePath: string, variant: Variant): Promise<Round> {
  const history = historyFromJSON(JSON.parse(readFileSync(HISTORY, 'utf8')));
  const histories = Array.from({ length: WORKFLOWS }, (_, i) => ({ workflowId: `bench-${i}`, history }));
  stripTimeout = variant === 'no vm timeout';
  calls = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  let failed = 0;
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { codePath: bundlePath }, sinks: workflowSinks(undefined) },
    histories,
  )) {
    if (r.error) failed++;
  }
  const used = process.cpuUsage(cpu);
  stripTimeout = false;
  if (failed > 0) throw new Error(`${failed} of ${WORKFLOWS} replays failed (${variant})`);
  return {
    variant,
    cpuMsPerWorkflow: (used.user + used.system) / 1000 / WORKFLOWS,
    wallMsPerWorkflow: (performance.now() - started) / WORKFLOWS,
    callsPerWorkflow: calls / WORKFLOWS,
  };
}

/** What one trivial call into a vm context costs with and without a timeout (microseconds). */
function vmCallCost(): { plain: number; withTimeout: number } {
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
  const script = new vm.Script('1 + 1');
  const time = (options: vm.RunningScriptOptions) => {
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i++) runInContext.call(script, context, options);
    return ((performance.now() - t) / n) * 1000;
  };
  return { plain: time({}), withTimeout: time({ timeout: 5000 }) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f1 = (x: number) => x.toFixed(1);

async function main() {
  const bundlePath = path.join(os.tmpdir(), `hookflow-bench-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, await bundleWorkflows());
  try {
    const variants: Variant[] = ['as shipped', 'no vm timeout'];
    // One warm-up round each (module compilation, JIT), not reported.
    for (const v of variants) await replayRound(bundlePath, v);
    const rounds: (Round & { round: number })[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants)
        rounds.push({ round: r + 1, ...(await replayRound(bundlePath, v)) });
    }
    const call = vmCallCost();
    const rows = variants.map((v) => {
      const mine = rounds.filter((r) => r.variant === v);
      const cpu = mine.map((r) => r.cpuMsPerWorkflow);
      return {
        variant: v,
        cpu: mean(cpu),
        cpuMin: Math.min(...cpu),
        cpuMax: Math.max(...cpu),
        wall: mean(mine.map((r) => r.wallMsPerWorkflow)),
        calls: mean(mine.map((r) => r.callsPerWorkflow)),
      };
    });
    const [shipped, stripped] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const date = new Date().toISOString().slice(0, 10);
    const command = `BENCH_WORKFLOWS=${WORKFLOWS} BENCH_ROUNDS=${ROUNDS} npm run bench:workflow-cpu`;
    const lines = [
      `# Workflow sandbox CPU, ${date}`,
      '',
      `Command: \`${command}\``,
      '',
      `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
      `${WORKFLOWS} replays of one recorded delivery workflow per round, ${ROUNDS} rounds per variant, alternating. CPU is the process's (this thread runs the workflow code), per workflow.`,
      '',
      '| variant | CPU ms/workflow (mean) | min | max | wall ms/workflow | calls into the sandbox per workflow |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.variant} | ${f1(r.cpu)} | ${f1(r.cpuMin)} | ${f1(r.cpuMax)} | ${f1(r.wall)} | ${f1(r.calls)} |`,
      ),
      '',
      `One trivial node:vm call here: ${f1(call.plain)} µs without a timeout, ${f1(call.withTimeout)} µs with one.`,
      `The per-call timeout accounts for ${f1(shipped.cpu - stripped.cpu)} ms of CPU per workflow (${f1((100 * (shipped.cpu - stripped.cpu)) / shipped.cpu)}%).`,
      '',
    ];
    writeResults(`workflow-cpu-${date}`, lines, { command, rounds, rows, vmCallMicroseconds: call });
  } finally {
    rmSync(bundlePath, { force: true });
  }
}

exitOnError(main);
