// Benchmarks write their report as Markdown (with the command that produced it) and the raw rows as JSON.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeResults(name: string, lines: string[], data: object): void {
  const file = path.join(__dirname, 'results', name);
  writeFileSync(`${file}.md`, lines.join('\n'));
  writeFileSync(`${file}.json`, `${JSON.stringify(data, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\nwritten to ${file}.md\n`);
}

export function exitOnError(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  });
}
