#!/usr/bin/env node
// Compiles the TypeScript (tsc --strict, see tsconfig.json) and copies each node's editor
// files (.html, locales/) next to its compiled .js, where Node-RED looks for them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

function copyEditorFiles(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    const to = path.join(root, 'dist', path.relative(root, from));
    if (entry.isDirectory()) copyEditorFiles(from);
    else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}
copyEditorFiles(path.join(root, 'nodes'));
fs.chmodSync(path.join(root, 'dist', 'bin', 'vocal-split.js'), 0o755);
