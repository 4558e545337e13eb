#!/usr/bin/env node
// `npm run fuzz [-- <seed>]`: the long fuzz run, 1,000 mutated variants of every fixture format
// through the decode node and through the vocal-split node (FUZZ_DECODE / FUZZ_SPLIT override).
// CI runs the same spec with 100 and 25 variants per format.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = {
  ...process.env,
  FUZZ_DECODE: process.env.FUZZ_DECODE || '1000',
  FUZZ_SPLIT: process.env.FUZZ_SPLIT || '1000',
  FUZZ_SEED: process.argv[2] || process.env.FUZZ_SEED || '1',
};
const result = spawnSync(process.execPath, [path.join(__dirname, 'test.js'), 'dist/test/fuzz_spec.js'], { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
process.exit(result.status ?? 1);
