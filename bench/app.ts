// The benchmarks' app: one no-op handler for `issues.opened` whose first line notes the time it
// started (delivery ID and epoch ms, one line each in BENCH_MARKS), so a benchmark can tell how long a
// webhook took from its arrival to its handler.
import { appendFileSync } from 'node:fs';
import type { App } from '../index';

export default (app: App): void => {
  app.on('issues.opened', (context) => {
    appendFileSync(process.env.BENCH_MARKS!, `${context.id} ${Date.now()}\n`);
    return Promise.resolve();
  });
};
