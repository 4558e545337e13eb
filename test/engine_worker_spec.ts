import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { probeBackends } from '../lib/model';

describe('inference engines in worker threads', () => {
  describe('onnx: dispose() never terminates the worker in the middle of a run', () => {
    before(async function () {
      if (!(await probeBackends()).find((p) => p.name === 'onnx')?.available) this.skip();
    });

    it('disposed during a long batch: the request is rejected, the worker finishes the run, releases, then ends', () => {
      const child = spawnSync(process.execPath, [path.join(__dirname, 'support', 'onnx-dispose-run.js')], { encoding: 'utf8', timeout: 60_000 });
      // A worker terminated mid-run can take the whole process down natively (a signal, a non-zero exit).
      assert.equal(child.signal, null, `the process died of ${String(child.signal)}: ${child.stderr}`);
      assert.equal(child.status, 0, child.stderr);
      const out = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { events: string[]; request: string };
      assert.match(out.request, /onnx engine was disposed before the request completed/);
      // The run completed in the worker (its result was sent, though nobody wants it any more), the
      // session was released after it, and only then did the worker end.
      assert.deepEqual(out.events.slice(0, out.events.indexOf('exit') + 1), ['result', 'released', 'exit']);
      assert.ok(out.events.includes('disposed'));
    });
  });
});
