/**
 * `npm start` on a port that is already taken (most Node-RED users run one on 1880): a short message
 * naming the port and how to choose another, no stack trace, a failing exit status.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './support/demo';
import { REPO_ROOT } from './support/paths';

describe('npm start on a busy port', function () {
  this.timeout(60_000);

  it('says which port is taken and how to choose another, and exits with status 1', async function () {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-busy-port-'));
    try {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.js')], {
        env: {
          ...process.env, PORT: String(port), HOST: '127.0.0.1', MQTT_PORT: String(await freePort()), NODE_RED_USER_DIR: userDir,
          NODE_RED_ADMIN_PASSWORD: 'busy-port-test', VOCAL_SPLIT_INBOX: '', VOCAL_SPLIT_OUTBOX: '', VOCAL_SPLIT_SAMPLE: '', MQTT_BROKER: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(status, 1, output);
      assert.match(output, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(output, new RegExp(`PORT=${port + 1} npm start`));
      assert.doesNotMatch(output, /EADDRINUSE|\n\s+at /, 'no error code or stack trace');
    } finally {
      taken.close();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });
});
