// A bare Temporal worker for bench:delivery's floor phase: the SDK's defaults, no interceptors, no
// data converter, only the workflow in floor-workflow.ts. Its own process, so the benchmark can
// read its CPU apart from the client that starts the workflows.
//   BENCH_TEMPORAL_ADDRESS, BENCH_TASK_QUEUE: where it polls; prints "floor worker ready" once polling.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { exitOnError } from './results';

async function main(): Promise<void> {
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  const taskQueue = process.env.BENCH_TASK_QUEUE;
  if (!address || !taskQueue) throw new Error('set BENCH_TEMPORAL_ADDRESS and BENCH_TASK_QUEUE');
  Runtime.install({ logger: new DefaultLogger('WARN') }); // Not a line per bundle and state change.
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./floor-workflow'),
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run(); // Polls from here on: a workflow started now waits for it, not lost.
  process.stdout.write('floor worker ready\n');
  await running;
  await connection.close();
}

exitOnError(main);
