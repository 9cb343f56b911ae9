// Tracing for a test process: hookflow's own provider and redacting processor, exporting into memory.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../../lib/logger';
import { startTracing, type Tracing } from '../../lib/telemetry/tracing';
import type { RepoShape } from '../fake-github/data';
import type { FakeGitHub, FakeOptions } from '../fake-github/server';
import { apiEnv, installRepo, startFake } from './api';
import { startHookflow, type Harness } from './harness';

export function memoryTracing(): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(
    {
      serviceName: undefined,
      traces: { exporters: [], protocol: 'http/protobuf' },
      metrics: { otlp: false, protocol: 'http/protobuf', intervalMs: 60_000 },
    },
    'hookflow-test',
    exporter,
  )!;
  return { tracing, exporter };
}

export interface TracedHookflow {
  fake: FakeGitHub;
  h: Harness;
  tracing: Tracing;
  exporter: InMemorySpanExporter;
  close(): Promise<void>;
}

/** A traced hookflow calling a fake provider that has one repository in a known installation. */
export async function startTracedHookflow(o: {
  fake?: FakeOptions;
  env?: Record<string, string>;
  logger?: Logger;
  repo: [fullName: string, shape: RepoShape];
  /** A user's app module, as HOOKFLOW_APP. */
  app?: string;
}): Promise<TracedHookflow> {
  const { tracing, exporter } = memoryTracing();
  const fake = await startFake(o.fake);
  const h = await startHookflow({
    tracing,
    env: apiEnv(fake, o.env),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.app ? { app: o.app } : {}),
  });
  await installRepo(h, fake, ...o.repo);
  return {
    fake,
    h,
    tracing,
    exporter,
    async close() {
      await h.close();
      await fake.close();
      await tracing.shutdown();
    },
  };
}
