import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { trainingBar } from '../src/progress.js';

/** A stream that is not a terminal, as a CI log is, keeping what is written. */
function logStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream: Object.assign(w, { isTTY: false }) as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

/** Busy for `ms` milliseconds, as a training step is: no timer can fire meanwhile. */
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('the training bar in a log', () => {
  it('draws while a synchronous loop runs, not only at its start and end', () => {
    const { stream, text } = logStream();
    const bar = trainingBar('{value}/{total} epoch {epoch} loss {loss}', 40, stream);
    for (let step = 1; step <= 10; step++) {
      busy(20);
      bar.step(step, 10, { epoch: step <= 5 ? 1 : 2, loss: (1 / step).toFixed(2) });
    }
    bar.stop();
    const lines = text()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    // the start, the last state, and the steps drawn every 40 ms in between
    expect(lines[0]).toBe('0/10 epoch 1 loss -');
    expect(lines.at(-1)).toBe('10/10 epoch 2 loss 0.10');
    const middle = lines.slice(1, -1);
    expect(middle.length).toBeGreaterThanOrEqual(2);
    for (const l of middle) expect(l).toMatch(/^(?:[1-9]|10)\/10 epoch [12] loss (?:0\.\d\d|1\.00)$/);
    // at least one drawn mid-loop, before the last step
    expect(middle.some((l) => /^[1-9]\//.test(l))).toBe(true);
  });

  it('says nothing when no step came', () => {
    const { stream, text } = logStream();
    const bar = trainingBar('{value}/{total}', 40, stream);
    bar.set({ loss: '1' });
    bar.stop();
    expect(text()).toBe('');
  });
});
