/**
 * `npm run bench pool` (second part): what an MQTT broker adds to a live stream run on a pool worker
 * (README, "Live streams on a pool"). A 100 ms chunk of 44.1 kHz stereo s16le PCM (17,640 bytes) goes
 * through mosquitto to an echo client and back, QoS 0, as a stream's chunk and its stems would:
 *   round trip — one chunk at a time, 300 times: median, p99 and worst in ms (added to the latency);
 *   throughput — 3,000 chunks sent as fast as they go: chunks per second the broker passes there and
 *   back, and the 44.1 kHz stereo streams that would fill (each sends 10 chunks/s and gets 2 stems back).
 */
import { connectAsync } from 'mqtt';
import { startMosquitto } from '../test/support/mosquitto';

export const title = 'Live streams on a pool: a 100 ms PCM chunk through mosquitto and back (QoS 0)';

const CHUNK = Buffer.alloc(17_640, 7);

export async function run(): Promise<void> {
  const broker = await startMosquitto();
  const echo = await connectAsync(broker.url, { protocolVersion: 5 });
  const sender = await connectAsync(broker.url, { protocolVersion: 5 });
  try {
    await echo.subscribeAsync('bench/stream/in', { qos: 0 });
    echo.on('message', (_t, payload) => { echo.publish('bench/stream/out', payload, { qos: 0 }); });
    await sender.subscribeAsync('bench/stream/out', { qos: 0 });
    let onBack: (() => void) | undefined;
    sender.on('message', () => onBack?.());
    const rtts: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await new Promise<void>((resolve) => { onBack = resolve; sender.publish('bench/stream/in', CHUNK, { qos: 0 }); });
      rtts.push(performance.now() - t);
    }
    rtts.sort((a, b) => a - b);
    const at = (q: number): string => rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))].toFixed(2);
    console.log(`round trip of one chunk: median ${at(0.5)} ms, p99 ${at(0.99)} ms, worst ${rtts[rtts.length - 1].toFixed(2)} ms`);
    const N = 3000;
    let back = 0;
    const t = performance.now();
    await new Promise<void>((resolve) => {
      onBack = () => { if (++back === N) resolve(); };
      for (let i = 0; i < N; i++) sender.publish('bench/stream/in', CHUNK, { qos: 0 });
    });
    const perSecond = N / ((performance.now() - t) / 1000);
    // A stream: 10 chunks/s in, 20 stem chunks/s out (vocals and accompaniment): 30 broker passes per second.
    console.log(`throughput: ${perSecond.toFixed(0)} chunks/s there and back (${((perSecond * CHUNK.length) / 2 ** 20).toFixed(1)} MiB/s each way), ` +
      `≈ ${Math.floor((perSecond * 2) / 30)} live 44.1 kHz stereo streams' worth of broker traffic`);
  } finally {
    await sender.endAsync();
    await echo.endAsync();
    await broker.stop();
  }
}
