/**
 * `npm run bench`: runs every benchmark module in this folder (or those named on the command line)
 * and prints its figures. Benchmarks measure; tests check correctness.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface BenchModule { title: string; run(): Promise<void> }

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs.readdirSync(__dirname)
    .filter((f) => f.endsWith('_bench.js'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
    .sort();
  for (const file of files) {
    const mod = (await import(path.join(__dirname, file))) as BenchModule;
    console.log(`\n## ${mod.title}`);
    await mod.run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
