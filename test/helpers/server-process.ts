// A second hookflow server as its own process (server/main.ts), beside a harness: same Temporal
// namespace and task queue, same storage. Resolves with its webhook URL once it answers.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../lib/net';
import { testEnv, waitFor } from './env';
import { harnessKeyEnv, type Harness } from './harness';

export async function spawnServer(
  h: Harness,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; webhookUrl: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...process.execArgv, path.join(__dirname, '..', '..', 'server', 'main.ts')],
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        HOOKFLOW_METRICS_PORT: '0',
        LOG_LEVEL: 'error',
        ...harnessKeyEnv(h),
        ...env,
        TEMPORAL_ADDRESS: h.config.temporal.address ?? testEnv.temporalAddress,
        TEMPORAL_NAMESPACE: h.config.temporal.namespace,
        TEMPORAL_TASK_QUEUE: h.taskQueue,
        DATABASE_URL: h.config.databaseUrl,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited (${signal ?? code})`));
  try {
    await waitFor(
      'the second server to answer',
      async () => {
        if (exit) throw new Error(`the second server ${exit} before answering`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
      },
      60_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { child, url, webhookUrl: `${url}${h.config.webhookPath}` };
}
