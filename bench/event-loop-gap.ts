/** The longest gap between the ticks of a 10 ms timer: how long this thread's event loop was held at worst. */
export function watchEventLoopGap(): { stop(): number } {
  let maxGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 10);
    last = now;
  }, 10);
  return {
    stop: () => {
      clearInterval(ticker);
      return maxGap;
    },
  };
}
