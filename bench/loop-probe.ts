/**
 * Preloaded into the demo's Node-RED process by the responsiveness bench (NODE_OPTIONS=--require):
 * measures its main thread's event-loop delay (perf_hooks histogram, and the longest gap between
 * 10 ms timer ticks). Each SIGUSR2 prints the figures since the previous one as one line
 * ("loop-probe {json}") and starts over.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let maxGap = 0;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 10);
    last = now;
  }, 10).unref();
  process.on('SIGUSR2', () => {
    const stats = { maxMs: Math.round(Math.max(maxGap, histogram.max / 1e6)), p99Ms: Math.round(histogram.percentile(99) / 1e6) };
    console.log(`loop-probe ${JSON.stringify(stats)}`);
    histogram.reset();
    maxGap = 0;
  });
}
