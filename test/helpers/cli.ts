// `npx hookflow …` as a real process (bin/hookflow.cjs), with the environment given.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SEAL_KEY } from './api';
import { testEnv } from './env';
import { harnessKeyEnv, type Harness } from './harness';

const BIN = path.join(__dirname, '..', '..', 'bin', 'hookflow.cjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with exactly `env` (a variable set to undefined is left out). */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CLI's environment for the hookflow `h`: its Temporal namespace and task queue, and its ledger. */
export function cliEnv(h: Pick<Harness, 'config' | 'taskQueue'>): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: h.config.databaseUrl,
    TEMPORAL_ADDRESS: h.config.temporal.address ?? testEnv.temporalAddress,
    TEMPORAL_NAMESPACE: h.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    ...harnessKeyEnv(h),
  };
}

/**
 * The CLI's environment for managing hooks of the fake GitHub at `githubUrl` in token mode, with the
 * key the tests' servers seal hook secrets with.
 */
export function hooksCliEnv(
  h: Pick<Harness, 'config' | 'taskQueue'>,
  githubUrl: string,
  token: string,
): Record<string, string | undefined> {
  return {
    ...cliEnv(h),
    GITHUB_TOKEN: token,
    GITHUB_API_URL: githubUrl,
    HOOKFLOW_ENCRYPTION_KEY: SEAL_KEY.toString('base64'),
    HOOKFLOW_API_BACKOFF_MS: '20',
  };
}
