// A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or tests).
import cliProgress from 'cli-progress';
import { NO_PROGRESS, type SimProgress } from './simulate.js';

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): SimProgress {
  if (!stream.isTTY) return NO_PROGRESS;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(policy, total) {
      bar = new cliProgress.SingleBar(
        { stream, format: `${policy.padEnd(11)} [{bar}] {percentage}% | {value}/{total} jobs | {duration}s`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    update(done) {
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
