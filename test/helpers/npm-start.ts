// `npm start` (scripts/start.ts) as a user runs it, for the tests that need the embedded default
// whole: free ports, a data folder of its own, its printed URLs, and a client that reads what it
// encrypted through the codec endpoint it printed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { freePort } from '../../lib/net';
import { payloadFromJson, payloadToJson, type JsonPayload } from '../../server/codec-endpoint';
import { testEnv, waitFor } from './env';

export interface Started {
  child: ChildProcess;
  /** The environment it runs with: its ports may differ from those asked for (see npmStart). */
  env: Record<string, string>;
  /** Its HTTP port and its dev server's. */
  port: number;
  temporalPort: number;
  output: () => string;
  webhookUrl: string;
  uiUrl: string;
  /** The codec endpoint npm start printed (with the token it made for the run). */
  codecUrl: string;
}

/**
 * A payload codec that asks an endpoint, as the Temporal UI and CLI do (Temporal's codec-server
 * protocol): what hookflow encrypted is read here through the URL npm start printed, and nothing else.
 */
export function remoteCodec(url: string): PayloadCodec {
  const call = async (op: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> => {
    const r = await fetch(`${url}/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: payloads.map(payloadToJson) }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as { payloads: JsonPayload[] };
    return body.payloads.map(payloadFromJson);
  };
  return { encode: (p) => call('encode', p), decode: (p) => call('decode', p) };
}

/** `npm start`'s environment: free ports and a data folder of its own. */
export async function startEnv() {
  const [port, temporalPort, uiPort, metricsPort, adminPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env = {
    HOOKFLOW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'hookflow-start-')),
    PORT: String(port),
    HOST: '127.0.0.1',
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    HOOKFLOW_METRICS_PORT: String(metricsPort),
    HOOKFLOW_ADMIN_PORT: String(adminPort),
    TEMPORAL_CLI_PATH: testEnv.cli,
    WEBHOOK_SECRET: 'test-secret',
    LOG_LEVEL: 'warn',
  };
  return { env };
}

/** The ports of npm start's environment, each of which may be taken before npm start binds it. */
const PORT_VARS = [
  'PORT',
  'TEMPORAL_PORT',
  'TEMPORAL_UI_PORT',
  'HOOKFLOW_METRICS_PORT',
  'HOOKFLOW_ADMIN_PORT',
];

/**
 * `npm start` with `env`, up to its printed URLs. A free port can be taken between asking for it and
 * binding it (its own dev server picks ports of its own meanwhile): a start that failed on a port of
 * `env` that was in use tries again on another (twice at most), and says so.
 */
export async function npmStart(env: Record<string, string>): Promise<Started> {
  let tried = env;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(tried);
    } catch (err) {
      const taken = /EADDRINUSE: address already in use [\d.]+:(\d+)/.exec((err as Error).message)?.[1];
      const name = PORT_VARS.find((v) => tried[v] !== undefined && tried[v] === taken);
      if (attempt === 3 || name === undefined) throw err;
      process.stderr.write(
        `npm start: ${name} ${taken} was taken before it could bind it; again on another port\n`,
      );
      tried = { ...tried, [name]: String(await freePort()) };
    }
  }
}

async function startOnce(env: Record<string, string>): Promise<Started> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, path.join(__dirname, '..', '..', 'scripts', 'start.ts')],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a failed test can kill it with the dev server it started.
      detached: true,
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // What went wrong is in its output: an exit or a timeout says it, not only that it was not ready.
  const told = () => `; its output ends:\n${out.slice(-4_000)}`;
  await waitFor(
    'hookflow to print its URLs',
    () => {
      if (child.exitCode !== null)
        throw new Error(`npm start exited (code ${child.exitCode}) before it was ready${told()}`);
      return Promise.resolve(/Press Ctrl-C to stop/.test(out));
    },
    // It bundles the workflows as it starts: ~30 s here alone, and a CI run once took over 90 s
    // beside another file's tests (which, its output did not say then).
    180_000,
  ).catch((err: unknown) => {
    // Nobody else can stop it now: its whole group goes (the dev server it started with it).
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    const message = (err as Error).message;
    throw new Error(message.includes('its output ends') ? message : `${message}${told()}`);
  });
  return {
    child,
    env,
    port: Number(env.PORT),
    temporalPort: Number(env.TEMPORAL_PORT),
    output: () => out,
    webhookUrl: /Webhook URL:\s+(\S+)/.exec(out)![1],
    uiUrl: /Temporal UI:\s+(\S+)/.exec(out)![1],
    codecUrl: /Codec endpoint:\s+(\S+)/.exec(out)![1],
  };
}

export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}
