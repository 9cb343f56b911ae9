// A hookflow worker as a real separate process (worker/main.ts) on a harness's task queue and storage.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testEnv } from './env';
import { harnessKeyEnv, type Harness } from './harness';

export function spawnWorker(h: Harness, env: Record<string, string> = {}): ChildProcess {
  return spawn(
    process.execPath,
    [...process.execArgv, path.join(__dirname, '..', '..', 'worker', 'main.ts')],
    {
      env: {
        ...process.env,
        // Several workers run side by side here: each gets a metrics port only when a test asks for one.
        HOOKFLOW_WORKER_METRICS_PORT: '0',
        ...harnessKeyEnv(h),
        ...env,
        TEMPORAL_ADDRESS: h.config.temporal.address ?? testEnv.temporalAddress,
        TEMPORAL_NAMESPACE: h.config.temporal.namespace,
        TEMPORAL_TASK_QUEUE: h.taskQueue,
        DATABASE_URL: h.config.databaseUrl,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

export const exited = (c: ChildProcess) =>
  new Promise((resolve) =>
    c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve),
  );
