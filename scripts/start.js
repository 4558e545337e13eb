#!/usr/bin/env node
// `npm start`: an embedded Node-RED with this package's nodes (loaded from the working tree) and the
// example flows deployed. Its user directory is .node-red-data/ (git-ignored), so nothing outside
// the project is touched. PORT and HOST override 127.0.0.1:1880; NODE_RED_USER_DIR the user directory.
// It also starts an MQTT broker (aedes) on MQTT_PORT (1883) for the jukebox flow, and makes the folder
// watch flow's inbox and outbox (VOCAL_SPLIT_INBOX, VOCAL_SPLIT_OUTBOX; default <user dir>/inbox, /outbox).
//
// Secure by default (see the README, "Exposing it beyond this machine"): the editor needs a login
// (scripts/demo/admin-auth.js), requests must name this host and come from no other origin, uploads
// and the broker have limits (scripts/demo/http-guard.js, scripts/demo/broker.js). The example flows'
// HTTP endpoints need no login. VOCAL_SPLIT_ALLOWED_HOSTS (comma-separated host names),
// VOCAL_SPLIT_MAX_UPLOAD_MB (128), VOCAL_SPLIT_UPLOAD_BUDGET_MB (512), MQTT_MAX_PACKET_MB (32),
// MQTT_USERNAME and MQTT_PASSWORD change them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const express = require('express');
const RED = require('node-red');
const { adminAuth } = require('./demo/admin-auth');
const { startBroker } = require('./demo/broker');
const { createHttpGuard, guardUpgrades } = require('./demo/http-guard');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR || path.join(root, '.node-red-data'));
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 1880);
const mqttPort = Number(process.env.MQTT_PORT || 1883);
const megabytes = (name, fallback) => Math.floor(Number(process.env[name] || fallback) * 2 ** 20);
const mqttUser = process.env.MQTT_PASSWORD ? (process.env.MQTT_USERNAME || 'vocal-split') : undefined;

// The example flows read these through Node-RED's ${ENV_VAR} substitution and env.get().
const loopback = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
process.env.MQTT_PORT = String(mqttPort);
process.env.MQTT_BROKER = process.env.MQTT_BROKER || loopback;
// The worker-pool flow's MQTT 5 broker (mosquitto, not started here: README, "Worker pool").
process.env.POOL_MQTT_BROKER = process.env.POOL_MQTT_BROKER || loopback;
process.env.POOL_MQTT_PORT = process.env.POOL_MQTT_PORT || '1884';
process.env.VOCAL_SPLIT_INBOX = path.resolve(process.env.VOCAL_SPLIT_INBOX || path.join(userDir, 'inbox'));
process.env.VOCAL_SPLIT_OUTBOX = path.resolve(process.env.VOCAL_SPLIT_OUTBOX || path.join(userDir, 'outbox'));
if (!process.env.VOCAL_SPLIT_SAMPLE) {
  const fixture = path.join(root, 'test', 'fixtures', 'audio', 'mp3_stereo_44k.mp3');
  process.env.VOCAL_SPLIT_SAMPLE = fs.existsSync(fixture) ? fixture : path.join(process.env.VOCAL_SPLIT_INBOX, 'song.mp3');
}

/**
 * With MQTT_PASSWORD set, the example flows' broker nodes (those pointing at ${MQTT_BROKER}) log in with
 * it; credentials are kept unencrypted (credentialSecret: false), as the rest of this demo's.
 */
function brokerCredentials(flowFile, credFile, user, password) {
  const creds = fs.existsSync(credFile) ? JSON.parse(fs.readFileSync(credFile, 'utf8')) : {};
  for (const node of JSON.parse(fs.readFileSync(flowFile, 'utf8'))) {
    if (node.type === 'mqtt-broker' && node.broker === '${MQTT_BROKER}') creds[node.id] = { ...creds[node.id], user, password };
  }
  fs.writeFileSync(credFile, JSON.stringify(creds, null, 2), { mode: 0o600 });
}

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
fs.mkdirSync(process.env.VOCAL_SPLIT_INBOX, { recursive: true });
fs.mkdirSync(process.env.VOCAL_SPLIT_OUTBOX, { recursive: true });
const flowFile = path.join(userDir, 'flows.json');
seedFlows(flowFile);
if (mqttUser) brokerCredentials(flowFile, path.join(userDir, 'flows_cred.json'), mqttUser, process.env.MQTT_PASSWORD);
const login = adminAuth(userDir);

const settings = {
  userDir,
  flowFile,
  nodesDir: [root],
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  uiHost: host,
  uiPort: port,
  credentialSecret: false,
  adminAuth: login.adminAuth,
  // Body limit of the admin API and of the http in node's JSON/form parsers (Node-RED's default): a large
  // JSON body blocks the event loop while it is parsed. Audio goes up as raw bytes, capped by http-guard.
  apiMaxLength: '5mb',
  // No palette catalogue: the palette manager would fetch catalogue.nodered.org on every editor load.
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  // No update check (it would call out to the internet) and no consent dialog over the editor.
  telemetry: { enabled: false, updateNotification: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  functionGlobalContext: {},
};

const app = express();
const guard = createHttpGuard({
  host,
  allowedHosts: (process.env.VOCAL_SPLIT_ALLOWED_HOSTS || '').split(',').map((h) => h.trim()).filter(Boolean),
  maxUploadBytes: megabytes('VOCAL_SPLIT_MAX_UPLOAD_MB', 128),
  uploadBudgetBytes: megabytes('VOCAL_SPLIT_UPLOAD_BUDGET_MB', 512),
});
const server = http.createServer((req, res) => {
  if (guard.admit(req, res)) app(req, res);
});
guardUpgrades(server, guard);
RED.init(server, settings);
// Express tags every response with a SHA-1 of its body (ETag): for a song's stem that is 50-200 ms
// of hashing on the event loop, and no client of these endpoints revalidates a separation.
RED.httpNode.set('etag', false);
app.use(settings.httpAdminRoot, RED.httpAdmin);
app.use(settings.httpNodeRoot, RED.httpNode);

/** The jukebox flow's MQTT broker; Node-RED still starts (without it) when the port is taken. */
let broker = null;
async function startDemoBroker() {
  try {
    broker = await startBroker({
      host, port: mqttPort, maxPacketBytes: megabytes('MQTT_MAX_PACKET_MB', 32), username: mqttUser, password: process.env.MQTT_PASSWORD,
    });
    return `mqtt://${loopback}:${mqttPort} (publish a song to jukebox/in, or stream PCM to jukebox/live/<player>/in)`
      + (mqttUser ? `, user ${mqttUser}` : '');
  } catch (err) {
    broker = null;
    return `not started (${err.message}); set MQTT_PORT to a free port`;
  }
}

// Most Node-RED users already run one on 1880: say which port is taken and how to choose another.
server.once('error', (err) => {
  if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
  const why = err.code === 'EADDRINUSE' ? 'is already in use (another Node-RED?)' : 'may not be used by this user';
  console.error(`\nCannot start: port ${port} on ${host} ${why}.\nChoose another port with PORT, e.g.  PORT=${port + 1} npm start\n`);
  process.exit(1);
});

server.listen(port, host, async () => {
  const mqtt = await startDemoBroker();
  RED.start().then(() => {
    console.log(`\nNode-RED with node-red-contrib-vocal-split is running: open http://${host}:${port}/`);
    console.log(`  karaoke page:  http://${host}:${port}/karaoke`);
    console.log(`  folder watch:  drop songs into ${process.env.VOCAL_SPLIT_INBOX}`);
    console.log(`                 stems appear in ${process.env.VOCAL_SPLIT_OUTBOX}`);
    console.log(`  MQTT broker:   ${mqtt}`);
    if (login.announce) console.log(login.announce);
    console.log('');
  }).catch((err) => {
    console.error('Node-RED failed to start:', err);
    process.exit(1);
  });
});

function stop() {
  RED.stop().finally(() => {
    guard.closeOpen(); // requests the stopped flows left unanswered
    if (broker) broker.close();
    server.close(() => process.exit(0));
    // Open keep-alive or MQTT connections must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
