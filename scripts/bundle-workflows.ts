// Part of `npm run build`: bundles the compiled workflow code once, into dist/workflow-bundle.js, so a
// production worker starts without webpack (and without the compiler it needs) and every replica
// runs byte-for-byte the same workflow code.
import { writeFileSync } from 'node:fs';
import { bundleWorkflows, PREBUILT_WORKFLOW_BUNDLE } from '../worker/create-worker';

async function main(): Promise<void> {
  const code = await bundleWorkflows();
  writeFileSync(PREBUILT_WORKFLOW_BUNDLE, code);
  process.stdout.write(
    `workflow bundle: ${PREBUILT_WORKFLOW_BUNDLE} (${Math.round(code.length / 1024)} KiB)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bundling the workflows failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
