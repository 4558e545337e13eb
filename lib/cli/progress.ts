/** A one-line progress bar for terminals; silent when the stream is not a TTY (pipes, CI logs). */
export interface ProgressBar {
  update(fraction: number): void;
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream, label: string): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  const width = 30;
  const started = Date.now();
  let last = -1;
  const draw = (fraction: number): void => {
    const filled = Math.round(fraction * width);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${seconds} s`);
  };
  return {
    update(fraction) {
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      draw(fraction);
    },
    done() {
      draw(1);
      stream.write('\n');
    },
  };
}
