// What test/run.ts set up for the whole run.
/** Hands the run's Temporal, database, workflow bundle and CLI to the test code (and its child processes). */
export function setTestEnv(e: {
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  workflowBundle: string;
  untracedWorkflowBundle: string;
  cli: string;
}): void {
  Object.assign(process.env, {
    HOOKFLOW_TEST_TEMPORAL_ADDRESS: e.temporalAddress,
    HOOKFLOW_TEST_NAMESPACE: e.namespace,
    HOOKFLOW_TEST_DATABASE_URL: e.databaseUrl,
    HOOKFLOW_TEST_WORKFLOW_BUNDLE: e.workflowBundle,
    HOOKFLOW_TEST_UNTRACED_WORKFLOW_BUNDLE: e.untracedWorkflowBundle,
    HOOKFLOW_TEST_CLI: e.cli,
  });
}

function need(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run the tests with \`npm test\` (test/run.ts sets up Temporal and PostgreSQL)`,
    );
  return v;
}

export const testEnv = {
  get temporalAddress() {
    return need('HOOKFLOW_TEST_TEMPORAL_ADDRESS');
  },
  get namespace() {
    return need('HOOKFLOW_TEST_NAMESPACE');
  },
  get databaseUrl() {
    return need('HOOKFLOW_TEST_DATABASE_URL');
  },
  /** The workflow code with the tracing interceptors. */
  get workflowBundle() {
    return need('HOOKFLOW_TEST_WORKFLOW_BUNDLE');
  },
  /** The same without them, as workers that do not trace run it. */
  get untracedWorkflowBundle() {
    return need('HOOKFLOW_TEST_UNTRACED_WORKFLOW_BUNDLE');
  },
  get cli() {
    return need('HOOKFLOW_TEST_CLI');
  },
};

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
