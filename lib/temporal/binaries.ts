// Finds the Temporal binaries hookflow runs: the `temporal` CLI (dev server, operator commands), and
// for a cluster on PostgreSQL the server (`temporal-server`) and its schema tool (`temporal-sql-tool`).
// Each is looked up in this order: its environment variable (TEMPORAL_CLI_PATH, TEMPORAL_SERVER_PATH,
// TEMPORAL_SQL_TOOL_PATH); its name on PATH; hookflow's own per-user cache (~/.cache/hookflow/bin);
// else it is built into that cache with `go install`. The SDK's own download cannot work offline,
// and a cold build takes minutes, so the cache lives outside the checkout and every clone reuses it.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../config';

/** The server version hookflow is tested against; docker-compose.yml runs the same. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

interface GoTool {
  what: string;
  envVar: string;
  /** The name on PATH (as Temporal's release archives and images name it). */
  name: string;
  /** The name in hookflow's cache. */
  cached: string;
  module: string;
  /** The name `go install` gives the binary (the module path's last element). */
  built: string;
  install: string;
}

// v1.5.1 is the newest CLI release `go install` accepts.
export const TEMPORAL_CLI: GoTool = {
  what: 'The Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  name: 'temporal',
  cached: 'temporal',
  module: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
  built: 'temporal',
  install: 'https://docs.temporal.io/cli',
};

// Cached under a versioned name, so a version bump builds the new server instead of reusing the old.
export const TEMPORAL_SERVER: GoTool = {
  what: 'The Temporal server',
  envVar: 'TEMPORAL_SERVER_PATH',
  name: 'temporal-server',
  cached: `temporal-server-${TEMPORAL_SERVER_VERSION}`,
  module: `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
  built: 'server',
  install: 'https://github.com/temporalio/temporal/releases',
};

export const TEMPORAL_SQL_TOOL: GoTool = {
  what: "The Temporal server's schema tool",
  envVar: 'TEMPORAL_SQL_TOOL_PATH',
  name: 'temporal-sql-tool',
  cached: `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`,
  module: `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
  built: 'sql',
  install: 'https://github.com/temporalio/temporal/releases',
};

class TemporalBinaryError extends Error {
  override name = 'TemporalBinaryError';
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

/** Returns the path of a usable `temporal` CLI, building it once if needed. */
export function findTemporalCli(env: Env, log: (msg: string) => void = () => undefined): Promise<string> {
  return findGoTool(TEMPORAL_CLI, env, log);
}

/** Returns the paths of `temporal-server` and `temporal-sql-tool`, building them once if needed. */
/** Returns the path of `temporal-sql-tool` alone (dropping databases needs nothing else). */
export function findTemporalSqlTool(env: Env, log: (msg: string) => void = () => undefined): Promise<string> {
  return findGoTool(TEMPORAL_SQL_TOOL, env, log);
}

export async function findTemporalServer(
  env: Env,
  log: (msg: string) => void = () => undefined,
): Promise<{ server: string; sqlTool: string }> {
  // One after the other: the second build reuses the first one's modules and compiled packages.
  const server = await findGoTool(TEMPORAL_SERVER, env, log);
  return { server, sqlTool: await findGoTool(TEMPORAL_SQL_TOOL, env, log) };
}

async function findGoTool(tool: GoTool, env: Env, log: (msg: string) => void): Promise<string> {
  const given = env[tool.envVar];
  if (given) {
    if (!isExecutable(given)) {
      throw new TemporalBinaryError(`${tool.envVar}=${given} is not an executable file`);
    }
    return given;
  }
  const fromPath = onPath(tool.name, env);
  if (fromPath) return fromPath;

  const binDir = path.join(cacheDir(env), 'bin');
  const cached = path.join(binDir, tool.cached);
  if (isExecutable(cached)) return cached;

  const goroot = env.GOROOT ? path.join(env.GOROOT, 'bin', 'go') : undefined;
  const go = onPath('go', env) ?? (goroot && isExecutable(goroot) ? goroot : undefined);
  if (!go) {
    throw new TemporalBinaryError(
      `${tool.what} was not found. Install it (${tool.install}) and put \`${tool.name}\` on PATH, ` +
        `or set ${tool.envVar}, or install Go so hookflow can build it into ${binDir}.`,
    );
  }
  log(`Building ${tool.name} once with \`go install ${tool.module}\` into ${binDir} (takes minutes)…`);
  mkdirSync(binDir, { recursive: true });
  // Build into a private folder and rename, so a concurrent run never sees a half-written binary.
  const tmpBin = mkdtempSync(path.join(binDir, '.build-'));
  try {
    await run(go, ['install', tool.module], { ...env, GOBIN: tmpBin });
    renameSync(path.join(tmpBin, tool.built), cached);
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
      code === 0
        ? resolve()
        : reject(new TemporalBinaryError(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}
