/**
 * `npm run bench`: runs every benchmark module in this folder (or those named on the command line)
 * and prints its figures. Benchmarks measure; tests check correctness. Each module runs in a process
 * of its own, so one module's memory and JIT state do not colour the next one's figures.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface BenchModule { title: string; run(): Promise<void> }

async function main(): Promise<void> {
  if (process.argv[2] === '--module') {
    const mod = (await import(path.join(__dirname, process.argv[3]))) as BenchModule;
    console.log(`\n## ${mod.title}`);
    await mod.run();
    return;
  }
  const wanted = process.argv.slice(2);
  const files = fs.readdirSync(__dirname)
    .filter((f) => f.endsWith('_bench.js'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
    .sort();
  for (const file of files) {
    const result = spawnSync(process.execPath, [__filename, '--module', file], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${file} failed (exit ${result.status})`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
