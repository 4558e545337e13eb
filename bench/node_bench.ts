/**
 * The nodes in the real Node-RED runtime (node-red-node-test-helper) on a 3-minute stereo 44.1 kHz
 * song with the full-size Jansson U-Net (random weights: the compute is a trained model's):
 * the all-in-one vocal-split node, and the six-node chain. Prints the time and the longest
 * event-loop delay while the flow runs (goal ≤ 100 ms: Node-RED keeps serving its editor and
 * other flows during a separation).
 */
import { peakRssMB } from './peak-rss';
import { watchEventLoopGap } from './event-loop-gap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { NodeMessage } from 'node-red';
import { decodeAudioFile } from '../lib/audio/decode';
import { resample } from '../lib/audio/resample';
import type { AudioData } from '../lib/audio/types';
import { cachedEngineCount } from '../lib/model/backends';
import { JANSSON_CONFIG } from '../lib/model/config';
import { createRandomModel } from '../lib/model/weights-io';
import applyMaskInit from '../nodes/apply-mask/apply-mask';
import encodeInit from '../nodes/encode/encode';
import istftInit from '../nodes/istft/istft';
import stftInit from '../nodes/stft/stft';
import unetMaskInit from '../nodes/unet-mask/unet-mask';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { MIR1K_SAMPLE, helper, loadFlow, localized, nextMessages, type FlowNode } from '../test/support/node-red';

export const title = 'Node-RED nodes in the runtime (full Jansson U-Net, 3-minute stereo song at 44.1 kHz)';

const SECONDS = 180;

async function song(): Promise<AudioData> {
  const clip = await resample(await decodeAudioFile(path.join(MIR1K_SAMPLE, 'Kenshin_2_10.wav')), 44100);
  const [acc, voice] = clip.channels;
  const length = SECONDS * 44100;
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const j = i % acc.length;
    left[i] = 0.5 * (acc[j] + voice[j]);
    right[i] = 0.5 * (acc[j] - voice[j]);
  }
  return { sampleRate: 44100, channels: [left, right] };
}

async function measure(label: string, flow: FlowNode[], input: string, outputs: string[], msg: NodeMessage): Promise<void> {
  await loadFlow([
    localized(stftInit, 'vocal-split-stft'), localized(unetMaskInit, 'vocal-split-unet-mask'),
    localized(applyMaskInit, 'vocal-split-apply-mask'), localized(istftInit, 'vocal-split-istft'),
    localized(encodeInit, 'vocal-split-encode'), localized(vocalSplitInit, 'vocal-split'),
  ], flow);
  // Wait for the model nodes to load before timing.
  const modelNodes = flow.filter((n) => n.type === 'vocal-split' || n.type === 'vocal-split-unet-mask').map((n) => helper.getNode(n.id));
  const loaded = modelNodes.map(() => false);
  modelNodes.forEach((node, i) => (node as unknown as import('node:events').EventEmitter).on('call:status', (c: { args: Array<{ fill?: string; text?: string }> }) => {
    if (c.args[0].fill === 'green') loaded[i] = true;
    if (c.args[0].fill === 'red') throw new Error(`${label}: ${c.args[0].text}`);
  }));
  while (!loaded.every(Boolean)) await new Promise((r) => setTimeout(r, 20));

  const received = outputs.map((id) => nextMessages<NodeMessage>(helper.getNode(id), id === 'chain-out' ? 2 : 1));
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const gap = watchEventLoopGap();
  delay.enable();
  const started = performance.now();
  helper.getNode(input).receive(msg);
  await Promise.all(received);
  const ms = performance.now() - started;
  delay.disable();
  const maxGap = gap.stop();
  await helper.unload();
  console.log(`${label.padEnd(44)} ${String(Math.round(ms)).padStart(6)} ms  ${(SECONDS / (ms / 1000)).toFixed(1).padStart(5)}× real time  ` +
    `max event-loop delay ${Math.round(Math.max(maxGap, delay.max / 1e6))} ms (p99 ${Math.round(delay.percentile(99) / 1e6)} ms)  ` +
    `peak RSS so far ${peakRssMB()} MB`);
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-node-bench-'));
  try {
    await createRandomModel(dir, JANSSON_CONFIG, { seed: 1 });
    const audio = await song();
    for (const backend of ['onnx', 'wasm']) {
      await measure(`vocal-split (${backend}), audio in, audio out`, [
        { id: 'split', type: 'vocal-split', model: dir, backend, output: 'audio', concurrency: '1', wires: [['vocals'], ['accompaniment']] },
        { id: 'vocals', type: 'helper' },
        { id: 'accompaniment', type: 'helper' },
      ], 'split', ['vocals', 'accompaniment'], { payload: audio });
      if (process.env.NODE_BENCH_ALL !== '1') break; // wasm takes minutes: NODE_BENCH_ALL=1 to include it
    }
    await measure('chain stft → unet-mask → apply-mask → istft → encode (onnx)', [
      { id: 'c-stft', type: 'vocal-split-stft', fftSize: '4096', hop: '1024', resample: true, wires: [['c-mask']] },
      { id: 'c-mask', type: 'vocal-split-unet-mask', model: dir, backend: 'onnx', wires: [['c-apply']] },
      { id: 'c-apply', type: 'vocal-split-apply-mask', stem: 'both', outputs: 2, wires: [['c-istft'], ['c-istft']] },
      { id: 'c-istft', type: 'vocal-split-istft', rate: 'original', wires: [['c-encode']] },
      { id: 'c-encode', type: 'vocal-split-encode', bitDepth: '16', wires: [['chain-out']] },
      { id: 'chain-out', type: 'helper' },
    ], 'c-stft', ['chain-out'], { payload: audio });
    if (cachedEngineCount() !== 0) console.log(`warning: ${cachedEngineCount()} engine(s) still cached after the flows closed`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
