// The benchmarks' CPU accounting by process group (bench/process-cpu.ts), with real processes that
// burn a known amount of CPU before and during a measured phase and end within it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { measureCpu } from '../../bench/process-cpu';

/** Node code that spends `ms` of its own CPU time. */
const burn = (ms: number) =>
  `{ const t = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; const s = t(); while (t() < s + ${ms}); }`;

/** Resolves with the first line `child` writes. */
async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    if (text.includes('\n')) return text.split('\n')[0];
  }
  throw new Error(`the child ended before it wrote a line: ${text}`);
}

test('a child that ends within the phase counts for its time in the phase only', async () => {
  // 600 ms before the phase, 200 ms in it, then it exits and this process reaps it.
  const child = spawn(process.execPath, [
    '-e',
    `${burn(600)}; console.log('burnt'); process.stdin.once('data', () => { ${burn(200)}; process.exit(0); });`,
  ]);
  assert.equal(await firstLine(child), 'burnt');
  const measure = measureCpu(process.pid);
  assert.ok(measure, '/proc is readable');
  child.stdin.write('go\n');
  await once(child, 'exit');
  const { hookflow } = measure();
  assert.ok(hookflow >= 150, `${hookflow} ms: the 200 ms the child spent in the phase are counted`);
  assert.ok(hookflow < 600, `${hookflow} ms: what the child spent before the phase is not`);
});

test('a grandchild that ends within the phase, reaped by a child that ends too, counts for the phase only', async () => {
  // The grandchild burns 600 ms before the phase; in it, it exits, its parent reaps it and exits,
  // and this process reaps that parent: the grandchild's earlier time reaches this process's count.
  const grandchild = `${burn(600)}; console.log('burnt'); process.stdin.once('data', () => process.exit(0));`;
  const middle = spawn(process.execPath, [
    '-e',
    `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['pipe', 'inherit', 'inherit'] });
     process.stdin.once('data', () => { c.on('exit', () => process.exit(0)); c.stdin.end('go\\n'); });`,
  ]);
  assert.equal(await firstLine(middle), 'burnt');
  const measure = measureCpu(process.pid);
  assert.ok(measure, '/proc is readable');
  middle.stdin.write('go\n');
  await once(middle, 'exit');
  const { hookflow } = measure();
  assert.ok(hookflow < 400, `${hookflow} ms: what the grandchild spent before the phase is not counted`);
});

test('an orphan that leaves the measured tree takes nothing off it', async () => {
  // The middle process starts a grandchild that burns 600 ms before the phase, then exits in it:
  // the grandchild, still running, is no child of the tree any more, and no parent in it reaps it.
  const grandchild = `${burn(600)}; console.log(process.pid); setInterval(() => undefined, 60_000);`;
  const middle = spawn(process.execPath, [
    '-e',
    `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['ignore', 'inherit', 'ignore'], detached: true });
     c.unref();
     process.stdin.once('data', () => process.exit(0));`,
  ]);
  const orphan = Number(await firstLine(middle));
  try {
    const measure = measureCpu(process.pid);
    assert.ok(measure, '/proc is readable');
    middle.stdin.write('go\n');
    await once(middle, 'exit');
    const { hookflow } = measure();
    assert.ok(hookflow >= 0, `${hookflow} ms: the orphan's earlier time was taken off the tree`);
  } finally {
    process.kill(orphan, 'SIGKILL');
  }
});
