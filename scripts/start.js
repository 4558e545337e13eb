#!/usr/bin/env node
// `npm start`: an embedded Node-RED with this package's nodes (loaded from the working tree) and the
// example flows deployed. Its user directory is .node-red-data/ (git-ignored), so nothing outside
// the project is touched. PORT and HOST override 127.0.0.1:1880; NODE_RED_USER_DIR the user directory.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const express = require('express');
const RED = require('node-red');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR || path.join(root, '.node-red-data'));
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 1880);

/** The deployed flows: every example flow, each on its own tab, unless the user has saved their own. */
function seedFlows(flowFile) {
  if (fs.existsSync(flowFile)) return;
  const examplesDir = path.join(root, 'examples');
  const flows = fs.readdirSync(examplesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')));
  fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
}

fs.mkdirSync(userDir, { recursive: true });
const flowFile = path.join(userDir, 'flows.json');
seedFlows(flowFile);

const settings = {
  userDir,
  flowFile,
  nodesDir: [root],
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  uiHost: host,
  uiPort: port,
  credentialSecret: false,
  editorTheme: { tours: false, projects: { enabled: false } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  functionGlobalContext: {},
};

const app = express();
const server = http.createServer(app);
RED.init(server, settings);
app.use(settings.httpAdminRoot, RED.httpAdmin);
app.use(settings.httpNodeRoot, RED.httpNode);

server.listen(port, host, () => {
  RED.start().then(() => {
    console.log(`\nNode-RED with node-red-contrib-vocal-split is running: open http://${host}:${port}/\n`);
  }).catch((err) => {
    console.error('Node-RED failed to start:', err);
    process.exit(1);
  });
});

function stop() {
  RED.stop().finally(() => server.close(() => process.exit(0)));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
