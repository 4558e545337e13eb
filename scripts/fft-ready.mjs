// Preloaded by scripts/test.js (node --import, so it finishes before any spec file is read): loads
// PFFFT in the test process, so every transform there runs on the engine the pool's workers use
// (lib/dsp/fft-engine.ts: a thread keeps the engine of its first transform, and spec files compute
// fixtures while mocha loads them). Specs that compare in-process results with the pool's, bit for
// bit, rely on it. Worker threads inherit the preload: they skip it, so that they load PFFFT as they do
// in Node-RED (the specs check that they do).
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const require = createRequire(import.meta.url);
  await require('../dist/lib/dsp/fft-engine.js').loadFastFft();
}
