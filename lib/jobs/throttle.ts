/**
 * Calls `fn` at most once per `intervalMs`: the first call goes through, later ones within the
 * interval are dropped (no trailing call, no timer left behind). For progress reports, where the
 * final state is set separately.
 */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, intervalMs: number, now: () => number = () => performance.now()): (...args: A) => void {
  let last = -Infinity;
  return (...args: A): void => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    fn(...args);
  };
}

/** Resolves on the next turn of the event loop, after pending I/O and timers (setImmediate). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
