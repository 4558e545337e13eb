import * as fs from 'node:fs';

/**
 * A process's peak RSS so far (this one's by default), in MB (VmHWM). Not process.resourceUsage().maxRSS: Linux carries
 * ru_maxrss over fork + exec, so a child started by a big parent would report the parent's peak.
 */
export function peakRssMB(pid: number | 'self' = 'self'): number {
  const kB = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kB ? Math.round(Number(kB[1]) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Resets a process's peak RSS (Linux: /proc/<pid>/clear_refs), so peakRssMB measures from now on. */
export function resetPeakRss(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** A process's RSS now, in MB (VmRSS). */
export function rssMB(pid: number | 'self' = 'self'): number {
  const kB = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kB ? Math.round(Number(kB[1]) / 1024) : 0;
}
