/**
 * File jobs are background work: their worker threads run at a lower CPU priority than the main
 * thread (Node-RED's other flows), the live streams' worker and the inference engine, so a song
 * being split takes the CPU those leave over instead of stretching a live stream's latency.
 * Linux keeps a nice value per thread, so setpriority on the calling thread changes this worker
 * only; elsewhere it would lower the whole process, so nothing is changed there.
 */
import * as os from 'node:os';

/** The file lane's nice value: a nice-0 thread gets about 9 times its CPU share when both want the CPU. */
export const FILE_LANE_NICE = 10;

/** Lowers the calling thread's priority to `nice`; returns whether it did (Linux only). */
export function lowerThisThreadPriority(nice = FILE_LANE_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // pid 0: the calling thread (Linux), never raised above what it has.
    if (os.getPriority(0) >= nice) return false;
    os.setPriority(0, nice);
    return true;
  } catch {
    return false; // a sandbox may forbid it: the work runs at normal priority
  }
}
