// The progress bar of long synchronous work (training, benchmarks), in a terminal and in a log.
// cli-progress draws into a log (no TTY) only from a timer, which a synchronous loop never lets
// fire: here a step that comes after the interval draws the bar itself, so a log shows progress too.
import { SingleBar } from 'cli-progress';

/** A bar that starts at the first step. */
export interface TrainingBar {
  /** At step `step` of `total`, with the format's other fields (epoch, loss). */
  step(step: number, total: number, fields?: Record<string, unknown>): void;
  /** New values of the format's other fields, the step unchanged. */
  set(fields: Record<string, unknown>): void;
  /** Draws the last state and ends the bar. */
  stop(): void;
}

/**
 * A bar of `format` (cli-progress's), drawn at most every `everyMs` milliseconds into a log;
 * `initial` holds the format's other fields until the first step gives them.
 */
export function trainingBar(
  format: string,
  everyMs = 5000,
  stream: NodeJS.WriteStream = process.stderr,
  initial: Record<string, unknown> = { epoch: 1, loss: '-' },
): TrainingBar {
  const bar = new SingleBar({ format, stream, noTTYOutput: true, notTTYSchedule: everyMs, hideCursor: true });
  const log = !stream.isTTY;
  let started = false;
  let drawn = 0;
  return {
    step(step, total, fields) {
      if (!started) {
        bar.start(total, 0, initial);
        started = true;
        drawn = performance.now();
      }
      bar.update(step, fields);
      if (log && performance.now() - drawn >= everyMs) {
        drawn = performance.now();
        (bar as unknown as { render(): void }).render();
      }
    },
    set(fields) {
      if (started) bar.update(fields);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
