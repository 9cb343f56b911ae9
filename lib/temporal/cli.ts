// Finds the `temporal` CLI, in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; hookflow's own
// per-user cache (~/.cache/hookflow/bin); else builds it into that cache with `go install` (v1.5.1
// is the newest release `go install` accepts). The SDK's own download cannot work offline, and a
// cold build takes minutes, so the cache lives outside the checkout and every clone reuses it.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../config';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function cacheDir(env: Env): string {
  if (env.HOOKFLOW_CACHE_DIR) return env.HOOKFLOW_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'hookflow');
}

function onPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Returns the path of a usable `temporal` binary, building it once if needed. */
export async function findTemporalCli(
  env: Env,
  log: (msg: string) => void = () => undefined,
): Promise<string> {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) {
      throw new TemporalCliError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return env.TEMPORAL_CLI_PATH;
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;

  const binDir = path.join(cacheDir(env), 'bin');
  const cached = path.join(binDir, 'temporal');
  if (isExecutable(cached)) return cached;

  const goroot = env.GOROOT ? path.join(env.GOROOT, 'bin', 'go') : undefined;
  const go = onPath('go', env) ?? (goroot && isExecutable(goroot) ? goroot : undefined);
  if (!go) {
    throw new TemporalCliError(
      'The Temporal CLI was not found. Install it (https://docs.temporal.io/cli) and put `temporal` on PATH, ' +
        `or set TEMPORAL_CLI_PATH, or install Go so hookflow can build it into ${binDir}.`,
    );
  }
  log(
    `Building the Temporal CLI once with \`go install ${TEMPORAL_CLI_MODULE}\` into ${binDir} (takes minutes)…`,
  );
  mkdirSync(binDir, { recursive: true });
  // Build into a private folder and rename, so a concurrent run never sees a half-written binary.
  const tmpBin = mkdtempSync(path.join(binDir, '.build-'));
  try {
    await run(go, ['install', TEMPORAL_CLI_MODULE], { ...env, GOBIN: tmpBin });
    renameSync(path.join(tmpBin, 'temporal'), cached);
  } finally {
    rmSync(tmpBin, { recursive: true, force: true });
  }
  return cached;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new TemporalCliError(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}
