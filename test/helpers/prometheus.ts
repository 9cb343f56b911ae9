// A real Prometheus (Debian's package) for a test: scrapes the given targets every second and
// evaluates hookflow's alert rules every second, from a data folder of its own. Stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../lib/net';
import { waitFor } from './env';

const RULES = path.join(__dirname, '..', '..', 'observability', 'prometheus', 'alerts.yml');

export interface Prometheus {
  url: string;
  /** `/api/v1/<what>`'s data. */
  api<T>(what: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(jobs: Record<string, string[]>): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: Object.entries(jobs).map(([job, targets]) => ({
        job_name: job,
        static_configs: [{ targets }],
      })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  try {
    child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
  } catch (err) {
    throw new Error(`could not start prometheus (apt-get install prometheus): ${String(err)}`);
  }
  let ended: string | undefined;
  child.once('error', (err) => (ended = `failed to start: ${err.message} (apt-get install prometheus)`));
  child.once('exit', (code, signal) => (ended ??= `exited (${signal ?? code})`));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || ended) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  };
  try {
    await waitFor('prometheus to be ready', async () => {
      if (ended) throw new Error(`prometheus ${ended}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    async api<T>(what: string) {
      const res = await fetch(`${url}/api/v1/${what}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus ${what}: ${body.error}`);
      return body.data;
    },
    stop,
  };
}
