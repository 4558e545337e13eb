#!/usr/bin/env node
// Runs every compiled spec with mocha; the summary reporter prints the closing line CI reads.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mocha = require.resolve('mocha/bin/mocha.js');
const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['dist/test/**/*_spec.js'];
const result = spawnSync(process.execPath, [
  '--import', path.join(__dirname, 'fft-ready.mjs'), mocha, '--reporter', path.join(__dirname, 'summary-reporter.js'),
  '--timeout', '60000', '--exit', ...specs,
], { cwd: root, stdio: 'inherit' });
process.exit(result.status === null ? 1 : result.status);
