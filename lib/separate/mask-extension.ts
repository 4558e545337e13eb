/**
 * The U-Net sees only the first F bins (0–5.5 kHz for F = 512 at 4096/44.1 kHz), but the stems must be
 * full band. Above F each frame takes the mean mask of its top quarter of modelled bins: the nearest
 * evidence in frequency. (Spleeter extends with the whole-band average; low bins are dominated by bass
 * and drums, which says little about a voice's upper harmonics and sibilants.)
 */
export function extendMaskFrame(modelMask: Float32Array, modelBins: number, out: Float32Array): void {
  out.set(modelMask.subarray(0, modelBins));
  const from = modelBins - Math.max(1, Math.floor(modelBins / 4));
  let sum = 0;
  for (let k = from; k < modelBins; k++) sum += modelMask[k];
  out.fill(sum / (modelBins - from), modelBins);
}
