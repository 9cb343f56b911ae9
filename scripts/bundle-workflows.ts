// Part of `npm run build`: bundles the compiled workflow code once, into dist/workflow-bundle.js, so a
// production worker starts without webpack (and without the compiler it needs) and every replica
// runs byte-for-byte the same workflow code.
import { writeFileSync } from 'node:fs';
import {
  bundleWorkflows,
  PREBUILT_UNTRACED_WORKFLOW_BUNDLE,
  PREBUILT_WORKFLOW_BUNDLE,
} from '../worker/create-worker';

async function main(): Promise<void> {
  // Two: with the tracing interceptors, for workers that trace, and without, for those that do not.
  for (const [file, traced] of [
    [PREBUILT_WORKFLOW_BUNDLE, true],
    [PREBUILT_UNTRACED_WORKFLOW_BUNDLE, false],
  ] as const) {
    const code = await bundleWorkflows(undefined, undefined, traced);
    writeFileSync(file, code);
    process.stdout.write(`workflow bundle: ${file} (${Math.round(code.length / 1024)} KiB)\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bundling the workflows failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
