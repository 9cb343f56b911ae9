// One file though over 300 lines: the worker's options (bundle, activities, interceptors, sinks,
// data converter) are one Worker.create call, and each part is a short function beside it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bundleWorkflowCode,
  Worker,
  type InjectedSinks,
  type NativeConnection,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Context } from '@temporalio/activity';
import {
  makeWorkflowExporter,
  type OpenTelemetrySinks,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from '../lib/telemetry/tracing';
import { AppLoadError, type LoadedApp } from '../app/load-app';
import { hookflowActivityInterceptor } from './activity-interceptor';
import { createActivities } from '../activities';
import { githubClientFrom } from '../activities/github/from-config';
import { WORKER_ACTIVITY_SLOTS, type Config } from '../lib/config';
import { reconcileArgs } from '../lib/reconcile-client';
import { keepReconcileSchedule, reconcileScheduleId } from '../activities/reconcile/schedule';
import { reconcileSourcesOf } from '../activities/reconcile/sources';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/telemetry/metrics';
import type { Store } from '../lib/storage';
import type { ActivityDeps } from '../activities/activity-deps';
import { createSealer, existingEncryptionKeys, type Sealer } from '../lib/crypto';
import { dataConverterFor, FAILURE_CONVERTER_PATH } from '../lib/temporal/data-converter';

/** The part of the configuration a worker reads. */
export type WorkerConfig = Pick<
  Config,
  | 'env'
  | 'temporal'
  | 'appId'
  | 'privateKey'
  | 'api'
  | 'githubApiUrl'
  | 'dataDir'
  | 'sources'
  | 'app'
  | 'historyEncryption'
  | 'searchRepository'
>;

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  logger: Logger;
  config: WorkerConfig;
  /** Starts syncs and keeps their reconciliation schedules. */
  client: Client;
  metrics?: Metrics | undefined;
  /** A prebuilt bundle (tests build one per run); else dist's, else the workflows are bundled at start. */
  workflowBundle?: { codePath: string } | undefined;
  /** Called with the key ID of each payload the worker decrypts (run-worker.ts tallies them). */
  onPayloadDecode?: ((keyId: string) => void) | undefined;
  maxConcurrentActivityTaskExecutions?: number;
  /** Where workflow and activity spans go; undefined: tracing is off. */
  tracing?: Tracing | undefined;
  /** The user's app, whose handlers this worker runs. */
  app?: LoadedApp | undefined;
}

/** The PostgreSQL connections a worker opens unless HOOKFLOW_DB_POOL_SIZE says otherwise: more than its activity slots (see openStore). */
export const WORKER_POOL_SIZE = WORKER_ACTIVITY_SLOTS + 10;

export const WORKFLOWS_PATH = require.resolve('../workflows');
/**
 * Where `npm run build` writes the bundled workflow code, beside the compiled output (dist/). Only
 * compiled code looks for it (`npm run build` makes both at once); run from the sources (tsx), the
 * worker bundles the workflows at start, so an edit is never hidden by an old bundle.
 */
export const PREBUILT_WORKFLOW_BUNDLE = path.join(__dirname, '..', 'workflow-bundle.js');
/** The same workflow code without the tracing interceptors, for workers that do not trace. */
export const PREBUILT_UNTRACED_WORKFLOW_BUNDLE = path.join(__dirname, '..', 'workflow-bundle-untraced.js');
const RUNNING_COMPILED = __filename.endsWith('.js');
/** hookflow's own folder (where package.json is), from the sources or from dist/. */
const HOOKFLOW_ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'workflows'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
})();

/**
 * The bundler compiles TypeScript outside node_modules only; an app's workflows import
 * `hookflow/workflow` (TypeScript sources), which sits in node_modules when hookflow is installed.
 */
function compileHookflowSources<R>(rule: R): R {
  const r = rule as { test?: unknown; exclude?: unknown };
  if (!(r.test instanceof RegExp) || !r.test.test('x.ts') || !(r.exclude instanceof RegExp)) return rule;
  const excluded = r.exclude;
  return {
    ...rule,
    exclude: (file: string) => excluded.test(file) && !file.startsWith(HOOKFLOW_ROOT + path.sep),
  };
}

/** The node_modules folder hookflow's own packages come from. */
const HOOKFLOW_MODULES = path.resolve(require.resolve('@temporalio/workflow/package.json'), '..', '..', '..');
/**
 * Temporal's OpenTelemetry workflow interceptors, in the workflow code of workers that trace. They
 * cost a worker that does not trace about half of its workflow-task time (their modules load with
 * every new workflow, and each step opens and ends a span that goes nowhere), so an untraced worker
 * runs a bundle without them. They add no commands to a history (spans leave through a sink; trace
 * context rides in headers), so traced and untraced workers replay each other's histories.
 */
const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/**
 * The workflow code as every worker runs it (interceptors included), bundled once: the build's and
 * the tests'. With a user's app that has workflows, theirs are bundled beside hookflow's.
 */
export async function bundleWorkflows(
  logger?: Parameters<typeof bundleWorkflowCode>[0]['logger'],
  appWorkflowsPath?: string,
  traced = true,
): Promise<string> {
  // One entry exporting both modules' workflows (the app's names were checked not to clash).
  const dir = appWorkflowsPath ? mkdtempSync(path.join(os.tmpdir(), 'hookflow-workflows-')) : undefined;
  try {
    let workflowsPath = WORKFLOWS_PATH;
    if (dir && appWorkflowsPath) {
      workflowsPath = path.join(dir, 'workflows.js');
      writeFileSync(
        workflowsPath,
        `export * from ${JSON.stringify(WORKFLOWS_PATH)};\nexport * from ${JSON.stringify(appWorkflowsPath)};\n`,
      );
    }
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: traced ? WORKFLOW_INTERCEPTOR_MODULES : [],
      failureConverterPath: FAILURE_CONVERTER_PATH,
      ...(logger ? { logger } : {}),
      // The generated entry sits in a temporary folder: packages resolve from hookflow's node_modules too.
      ...(dir
        ? {
            webpackConfigHook: (config) => ({
              ...config,
              resolve: {
                ...config.resolve,
                modules: [...(config.resolve?.modules ?? ['node_modules']), HOOKFLOW_MODULES],
              },
              module: { ...config.module, rules: (config.module?.rules ?? []).map(compileHookflowSources) },
            }),
          }
        : {}),
    });
    return code;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Workflow spans leave the workflow sandbox through this sink, into the tracing's processor (or
 * nowhere). Replaying workers need it too: the workflow code always references it.
 */
export function workflowSinks(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: makeWorkflowExporter(
      tracing?.spanProcessor ?? new NoopSpanProcessor(),
      tracing?.resource ?? Resource.empty(),
    ),
  };
}

/** The app's workflows with hookflow's; a module that does not bundle stops the start, naming it. */
async function bundleAppWorkflows(file: string, modulePath: string, traced: boolean): Promise<string> {
  try {
    return await bundleWorkflows(undefined, modulePath, traced);
  } catch (err) {
    throw new AppLoadError(
      `the app ${file}: its workflows module ${modulePath} does not bundle as workflow code (the log above says why): ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
}

/** hookflow's activities and the app's own, whose names must not take one of hookflow's. */
function withAppActivities(
  own: Record<string, unknown>,
  app: LoadedApp | undefined,
): Record<string, unknown> {
  const theirs = app?.workflows?.activities ?? {};
  const taken = Object.keys(theirs).filter((name) => Object.hasOwn(own, name));
  if (taken.length > 0) {
    throw new AppLoadError(
      `the app ${app?.file}: its activities ${taken.join(', ')} take a name of hookflow's own activities: rename them`,
    );
  }
  return { ...own, ...theirs };
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const appWorkflows = deps.app?.workflows;
  const traced = deps.tracing !== undefined;
  const prebuilt = traced ? PREBUILT_WORKFLOW_BUNDLE : PREBUILT_UNTRACED_WORKFLOW_BUNDLE;
  const bundle: { code: string } | { codePath: string } | undefined = appWorkflows
    ? // No prebuilt bundle holds the app's workflows: bundled at start, with hookflow's.
      { code: await bundleAppWorkflows(deps.app!.file, appWorkflows.path, traced) }
    : (deps.workflowBundle ??
      (RUNNING_COMPILED && existsSync(prebuilt) ? { codePath: prebuilt } : undefined));
  deps.logger.info(
    appWorkflows
      ? { workflowsPath: WORKFLOWS_PATH, appWorkflows: appWorkflows.path }
      : bundle && 'codePath' in bundle
        ? { workflowBundle: bundle.codePath }
        : { workflowsPath: WORKFLOWS_PATH },
    appWorkflows
      ? "workflow code: hookflow's and the app's, bundled at start"
      : bundle
        ? 'workflow code: a prebuilt bundle'
        : 'workflow code: bundled at start',
  );
  // Read from Temporal's visibility at each scrape: the truth across every worker, restarts included.
  const running = `WorkflowType = "syncRepository" AND ExecutionStatus = "Running" AND TaskQueue = "${deps.taskQueue}"`;
  deps.metrics?.observeSyncJobsRunning(async () => (await deps.client.workflow.count(running)).count);
  const reconcileSources = reconcileSourcesOf(deps.config);
  // Every worker keeps the reconciliation schedule to its configuration; without a hook to list there is nothing to schedule.
  const change = await keepReconcileSchedule(
    { client: deps.client, taskQueue: deps.taskQueue },
    reconcileSources.length > 0 ? deps.config.api.reconcileIntervalMinutes : 0,
    reconcileArgs(deps.config),
  );
  deps.logger.info(
    {
      schedule: reconcileScheduleId(deps.taskQueue),
      change,
      everyMinutes: deps.config.api.reconcileIntervalMinutes,
      sources: reconcileSources.map((s) => s.key),
    },
    'reconciliation schedule kept',
  );
  const dataConverter = dataConverterFor(deps.config, { onDecode: deps.onPayloadDecode });
  const options: WorkerOptions = {
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: withAppActivities(
      createActivities({
        store: deps.store,
        logger: deps.logger,
        github: githubClientFrom(deps.config, deps.store, deps.logger, deps.metrics),
        hookAdmin: hookAdminFrom(deps.config, deps.store, deps.logger, deps.metrics),
        api: deps.config.api,
        githubApiUrl: deps.config.githubApiUrl,
        temporal: {
          client: deps.client,
          taskQueue: deps.taskQueue,
          searchRepository: deps.config.searchRepository,
        },
        metrics: deps.metrics,
        reconcileSources,
        app: deps.app,
        appConfig: deps.config.app,
      }),
      deps.app,
    ),
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH }),
    interceptors: {
      ...(bundle || !traced ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
      // Temporal's span first, so hookflow's interceptor runs inside it and can mark it.
      activity: [
        ...(deps.tracing
          ? [
              (ctx: Context) => ({
                inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
                outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
              }),
            ]
          : []),
        hookflowActivityInterceptor(deps.metrics),
      ],
    },
    sinks: workflowSinks(deps.tracing),
    dataConverter,
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions ?? WORKER_ACTIVITY_SLOTS,
    // Handlers as local activities run in these slots instead: as many as the activity slots, so
    // the database pool sized for those (WORKER_POOL_SIZE) still fits them.
    ...(deps.config.app.localHandlers
      ? {
          maxConcurrentLocalActivityExecutions:
            deps.maxConcurrentActivityTaskExecutions ?? WORKER_ACTIVITY_SLOTS,
        }
      : {}),
  };
  return Worker.create(options);
}

/**
 * Hooks are managed with GITHUB_TOKEN even where the App is configured too (the App's installation
 * tokens do not administer hooks here); their secrets are sealed with the keys every process shares.
 */
function hookAdminFrom(
  config: WorkerConfig,
  store: Store,
  logger: Logger,
  metrics: Metrics | undefined,
): ActivityDeps['hookAdmin'] {
  let sealer: Sealer | undefined;
  return {
    github:
      config.api.token === undefined
        ? undefined
        : githubClientFrom({ ...config, appId: undefined, privateKey: undefined }, store, logger, metrics),
    sealer: () =>
      (sealer ??= createSealer(existingEncryptionKeys(config.api.encryptionKeys, config.dataDir))),
  };
}
