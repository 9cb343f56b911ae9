// CPU time by process group, read from /proc (Linux): what one phase of a benchmark cost hookflow's
// own process tree, the Temporal server and PostgreSQL, each apart. Hand-written: it is a few
// lines of /proc parsing, and the figure must include processes the benchmark did not start
// (PostgreSQL's backends).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export type CpuGroup = 'hookflow' | 'temporal' | 'postgres';

interface Proc {
  pid: number;
  ppid: number;
  name: string;
  /** utime + stime, in ms, and that of its children it has reaped (cutime + cstime). */
  cpuMs: number;
}

let tickMs: number | undefined;
function msPerTick(): number {
  if (tickMs === undefined) {
    let hz = 100;
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      // getconf missing: Linux's usual USER_HZ.
    }
    tickMs = 1000 / hz;
  }
  return tickMs;
}

/** One process's /proc/<pid>/stat; throws when it has ended. */
function readProc(pid: number): Proc {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (comm) state ppid … utime stime …": comm may hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    name: stat.slice(stat.indexOf('(') + 1, close),
    cpuMs: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * msPerTick(),
  };
}

/** The CPU time (user + system, ms) one process and its reaped children have used so far. */
export const processCpuMs = (pid: number): number => readProc(pid).cpuMs;

function processes(): Proc[] {
  const all: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      all.push(readProc(Number(entry)));
    } catch {
      // ended meanwhile
    }
  }
  return all;
}

/** CPU ms so far per process, keyed by pid, with its group (processes of no group are left out). */
function snapshot(hookflowPid: number): Map<number, { group: CpuGroup; ppid: number; cpuMs: number }> {
  const all = processes();
  const tree = new Set([hookflowPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  const out = new Map<number, { group: CpuGroup; ppid: number; cpuMs: number }>();
  for (const p of all) {
    const group: CpuGroup | undefined = p.name.startsWith('temporal')
      ? 'temporal'
      : p.name === 'postgres'
        ? 'postgres'
        : tree.has(p.pid)
          ? 'hookflow'
          : undefined;
    if (group) out.set(p.pid, { group, ppid: p.ppid, cpuMs: p.cpuMs });
  }
  return out;
}

/**
 * Starts measuring; the returned function gives each group's CPU ms since. A process that ended
 * in between is counted through its parent, which adds a reaped child's whole time to its own
 * (cutime): what it had used before the start is taken off the group of its nearest ancestor still
 * measured. (PostgreSQL's backends are reaped by the postmaster, hookflow's children by hookflow.)
 * One that still runs outside the tree (an orphan) is credited nowhere, so nothing is taken off
 * for it: its time in the phase is lost, an undercount rather than a negative figure; one that
 * ended as an orphan (reaped by init) is taken off all the same, also an undercount. Undefined
 * where /proc cannot be read (not Linux).
 */
export function measureCpu(hookflowPid: number): (() => Record<CpuGroup, number>) | undefined {
  let before: ReturnType<typeof snapshot>;
  try {
    before = snapshot(hookflowPid);
  } catch {
    return undefined;
  }
  return () => {
    const used: Record<CpuGroup, number> = { hookflow: 0, temporal: 0, postgres: 0 };
    const now = snapshot(hookflowPid);
    for (const [pid, after] of now) used[after.group] += after.cpuMs - (before.get(pid)?.cpuMs ?? 0);
    for (const [pid, gone] of before) {
      // Still running outside its group (an orphan, out of the tree): nobody has its time yet.
      if (now.has(pid) || existsSync(`/proc/${pid}`)) continue;
      // Its nearest ancestor still measured holds its time: a parent that ended too added it to
      // its own before it was reaped. (Parent links in one snapshot form a tree: the walk ends.)
      let ancestor = gone.ppid;
      while (!now.has(ancestor) && before.has(ancestor)) ancestor = before.get(ancestor)!.ppid;
      const holder = now.get(ancestor);
      if (holder) used[holder.group] -= gone.cpuMs;
    }
    return used;
  };
}
