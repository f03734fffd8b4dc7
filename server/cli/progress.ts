import { SingleBar, Presets } from 'cli-progress';
import type { TuneProgress } from '../../core/tune.js';

/**
 * Progress of long steps on stderr: a bar per step on a terminal, one line per finished step
 * otherwise (so logs and test output stay readable). Returns the callback and a stop function.
 */
export function stderrProgress(command: string): { onProgress: TuneProgress; stop: () => void } {
  const started = performance.now();
  let bar: SingleBar | undefined;
  let current = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress: TuneProgress = (step, done, total) => {
    if (process.stderr.isTTY) {
      if (step !== current) {
        stop();
        current = step;
        bar = new SingleBar({ stream: process.stderr, format: `${command}: ${step.padEnd(13)} [{bar}] {value}/{total}`, hideCursor: true }, Presets.shades_classic);
        bar.start(total, done);
      } else bar?.update(done);
      if (done === total) stop();
    } else if (done === total && total > 0) {
      process.stderr.write(`${command}: ${step} done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  };
  return { onProgress, stop };
}
