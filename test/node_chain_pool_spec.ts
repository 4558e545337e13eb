/**
 * The chain nodes' whole-song work (stft, unet-mask, istft) runs in the shared worker pool, in the
 * real Node-RED runtime: while a node reports progress its task is running in a pool worker; the
 * message's own payload is left intact (the worker gets a copy, the result comes back moved); and
 * a node closed mid-job has its pool task stopped at once (the pool is idle again).
 */
import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import type { AudioData } from '../lib/audio/types';
import { stft } from '../lib/dsp/stft';
import type { Spectrogram } from '../lib/dsp/types';
import { cachedEngineCount } from '../lib/model/backends';
import { sharedAudioPool } from '../lib/workers';
import istftInit from '../nodes/istft/istft';
import stftInit from '../nodes/stft/stft';
import unetMaskInit from '../nodes/unet-mask/unet-mask';
import { helper, loadFlow, localized, nextMessage, recordCompletions, smallTestModel } from './support/node-red';
import { loopedSong, standardFlow, underTest } from './support/node-specs';

/** The bytes of every array of a payload, in order (what "left intact" is checked against). */
function bytesOf(arrays: Float32Array[]): Buffer[] {
  return arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

function snapshot(arrays: Float32Array[]): Buffer[] {
  return bytesOf(arrays).map((b) => Buffer.from(b));
}

/** Calls `then` synchronously at the node's first progress status above 0 % (a progress event of its task). */
function onFirstProgress(node: Node, then: () => void): void {
  const emitter = node as unknown as import('node:events').EventEmitter;
  const listener = (call: { args: Array<{ text?: string }> }): void => {
    if (!/^[1-9]\d* %/.test(call.args[0].text ?? '')) return;
    emitter.removeListener('call:status', listener);
    then();
  };
  emitter.on('call:status', listener);
}

async function untilPoolIdle(limitMs: number): Promise<void> {
  const t0 = performance.now();
  while (!sharedAudioPool().idle) {
    if (performance.now() - t0 > limitMs) throw new Error(`pool not idle after ${limitMs} ms: ${JSON.stringify(sharedAudioPool().stats())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('chain nodes in the worker pool (stft, unet-mask, istft)', function () {
  this.timeout(60_000);
  let song: AudioData;
  let spec: Spectrogram;
  let model: string;
  before(async function () {
    model = await smallTestModel();
    song = await loopedSong(60);
    spec = stft(song, { fftSize: 4096, hop: 1024 });
  });
  afterEach(async function () {
    await helper.unload();
    await untilPoolIdle(1000);
    assert.equal(sharedAudioPool().stats().backends, 0, 'no backend left registered with the pool');
    assert.equal(cachedEngineCount(), 0);
  });

  const cases = [
    { type: 'vocal-split-stft', init: stftInit, config: () => ({ fftSize: '4096', hop: '1024', resample: true }),
      payload: () => song, arrays: (p: unknown) => (p as AudioData).channels,
      check: (out: unknown) => assert.deepEqual(bytesOf((out as Spectrogram).re), bytesOf(spec.re)) },
    { type: 'vocal-split-unet-mask', init: unetMaskInit, config: () => ({ model, backend: 'auto', concurrency: '1' }),
      payload: () => spec, arrays: (p: unknown) => [...(p as Spectrogram).re, ...(p as Spectrogram).im],
      check: (out: unknown) => assert.equal((out as { vocals: Float32Array[] }).vocals[1].length, spec.frames * spec.bins) },
    { type: 'vocal-split-istft', init: istftInit, config: () => ({ rate: 'spectrogram' }),
      payload: () => spec, arrays: (p: unknown) => [...(p as Spectrogram).re, ...(p as Spectrogram).im],
      check: (out: unknown) => assert.equal((out as AudioData).channels[0].length, song.channels[0].length) },
  ] as const;

  for (const c of cases) {
    it(`${c.type}: works in a pool worker, leaves the message's payload intact, and stops its task when closed mid-job`, async function () {
      await loadFlow(localized(c.init, c.type), standardFlow(c.type, c.config()));
      const node = underTest();
      const payload = c.payload();
      const before = snapshot(c.arrays(payload));

      // A whole job: at its first progress report, its task is running in a pool worker.
      let runningAtProgress = -1;
      onFirstProgress(node, () => { runningAtProgress = sharedAudioPool().stats().running; });
      const out = nextMessage<NodeMessage & { payload: unknown }>(helper.getNode('out'));
      node.receive({ payload, topic: 'whole' } as NodeMessage);
      const msg = await out;
      assert.equal(runningAtProgress, 1, 'the job was a task of the worker pool while it reported progress');
      c.check(msg.payload);
      assert.deepEqual(bytesOf(c.arrays(payload)), before, 'the payload the node got is untouched (not moved, not changed)');

      // Closed mid-job (a redeploy): the task stops at once, nothing is sent, the job ends with done().
      let sent = 0;
      helper.getNode('out').on('input', () => { sent++; });
      const { completions, stop } = recordCompletions();
      try {
        // A closing node waits for its jobs to settle: the task must be gone as the close begins, not after.
        const closing = new Promise<{ running: number; closed: Promise<void> }>((resolve) => onFirstProgress(node, () => {
          const closed = node.close(true);
          resolve({ running: sharedAudioPool().stats().running, closed });
        }));
        node.receive({ payload, topic: 'closed' } as NodeMessage);
        const { running, closed } = await closing;
        await closed;
        assert.equal(running, 0, 'the pool task stopped as the node began to close');
        await untilPoolIdle(1000);
        assert.equal(sent, 0, 'nothing sent for the job of the closed node');
        assert.deepEqual(completions.filter((d) => d.nodeId === node.id).map((d) => [d.msg.topic, d.error]), [['closed', undefined]]);
      } finally {
        stop();
      }
    });
  }
});
