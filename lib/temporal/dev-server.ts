// Runs `temporal server start-dev` as a child process: the embedded default of `npm start`, and
// the one shared server of a test run. Readiness is polled here (the SDK's own launcher gives up
// after a fixed 5 s, too short for a cold start on a busy 2-core machine).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, SEARCH_ATTRIBUTE_KEYS } from './search-attributes';

export interface DevServerOptions {
  cli: string;
  port: number;
  namespace: string;
  /** SQLite file for persistent state; undefined keeps everything in memory. */
  dbFile?: string | undefined;
  /** UI port; undefined runs headless. */
  uiPort?: number | undefined;
  /** The codec endpoint the UI decodes payloads through (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string | undefined;
  readyTimeoutMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Where the server's output goes: inherited (the default), or kept quiet, only its last few
   * kilobytes held to be told with the reason if the server exits.
   */
  stdio?: 'inherit' | 'quiet';
}

export interface DevServerExit {
  reason: string;
  /**
   * Ended as asked: a clean exit, or SIGINT/SIGTERM (a terminal's Ctrl-C reaches the dev server
   * too, since it shares hookflow's process group). A crash, a SIGKILL or the OOM killer is not.
   */
  orderly: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  child: ChildProcess;
  /** Settles when the process ends, whether stopped or not. */
  exited: Promise<DevServerExit>;
  stop(): Promise<void>;
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${o.port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port)];
  args.push('--log-level', o.logLevel ?? 'error');
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.dbFile) {
    mkdirSync(path.dirname(o.dbFile), { recursive: true });
    args.push('--db-filename', o.dbFile);
    // SQLite's write-ahead log, still flushed to disk at every commit (synchronous=FULL: nothing
    // committed is lost on a power cut): one flush per commit, where the default rollback journal
    // writes, flushes and deletes a journal file beside the database each time. Every workflow
    // task, activity and timer of the dev server is such a commit. https://sqlite.org/wal.html
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=full');
  }
  if (o.uiPort === undefined) args.push('--headless');
  else {
    args.push('--ui-port', String(o.uiPort));
    if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  }
  for (const key of SEARCH_ATTRIBUTE_KEYS) args.push('--search-attribute', `${key.name}=Keyword`);
  // An activity scheduled by a workflow task (an app's handler, a write-back) goes straight back to
  // the worker that completed the task, when it has a free slot, instead of through a poll: one
  // round trip less before a handler starts.
  // https://docs.temporal.io/develop/worker-performance#eager-activity-execution
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');

  const quiet = o.stdio === 'quiet';
  const child = spawn(o.cli, args, {
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
  });
  const tail = quiet ? outputTail(child) : () => '';
  let exited: string | undefined;
  const exitPromise = new Promise<DevServerExit>((resolve) => {
    const settle = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
      // The pipes may hold its last words a moment longer: they are drained by 'close' (bounded,
      // in case something it started still holds them open).
      if (quiet) await Promise.race([once(child, 'close').catch(() => undefined), delay(500)]);
      const said = tail();
      exited = `exited (code ${code}, signal ${signal})${said ? `; its last output:\n${said}` : ''}`;
      resolve({ reason: exited, orderly: code === 0 || signal === 'SIGINT' || signal === 'SIGTERM' });
    };
    child.once('exit', (code, signal) => void settle(code, signal));
    child.once('error', (err) => {
      exited = `failed to start: ${err.message}`;
      resolve({ reason: exited, orderly: false });
    });
  });

  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
  };

  try {
    await waitForServer(address, o.namespace, o.readyTimeoutMs ?? 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    uiUrl: o.uiPort === undefined ? undefined : `http://127.0.0.1:${o.uiPort}`,
    child,
    exited: exitPromise,
    stop,
  };
}

const TAIL_BYTES = 4_096;

/** Reads the child's stdout and stderr as they come (so a full pipe never stalls it), keeping the end. */
function outputTail(child: ChildProcess): () => string {
  let kept = '';
  const keep = (chunk: Buffer): void => {
    kept = (kept + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => kept.trim();
}

async function waitForServer(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`temporal server start-dev ${why}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        await ensureSearchAttributes(connection, namespace);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}
