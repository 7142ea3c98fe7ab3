// The LeNet-5 step computes the same loss on every peer that supports it, from the same weights.
import '@tensorflow/tfjs-backend-wasm';
import { memory } from '@gd/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatTable, measure } from '../src/harness.js';
import { initJax, uniformValues } from '../src/jax.js';
import { type ImageBatch, lenetStep, lenetValues } from '../src/lenet.js';
import { useBackend } from '../src/peers.js';

const batch: ImageBatch = {
  x: uniformValues(4 * 784, 1, 11).map(Math.abs),
  y: Int32Array.from([3, 0, 7, 9]),
  n: 4,
};
const values = lenetValues(5);

beforeAll(() => initJax());

describe('LeNet-5 step', () => {
  let gdLosses: number[] = [];
  it('gd: two steps, the loss falls and memory is freed', () => {
    const before = memory();
    const inst = lenetStep('gd', batch, values);
    gdLosses = [inst.run() as number, inst.run() as number];
    inst.dispose();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    // ten classes from small weights: near ln 10, and the SGD step lowered it on the same batch
    expect(Math.abs(gdLosses[0]! - Math.log(10))).toBeLessThan(0.5);
    expect(gdLosses[1]!).toBeLessThan(gdLosses[0]!);
  });
  for (const peer of ['tfjs-cpu', 'jax-js'] as const) {
    it(`${peer}: the same loss as gd before and after one step`, async () => {
      await useBackend(peer);
      const inst = lenetStep(peer, batch, values);
      const losses = [inst.run() as number, inst.run() as number];
      inst.dispose();
      expect(losses[0]).toBeCloseTo(gdLosses[0]!, 5);
      expect(losses[1]).toBeCloseTo(gdLosses[1]!, 5);
    });
  }
  it('tfjs-wasm has no Conv2DBackpropFilter: measure reports it as an unsupported cell', async () => {
    const row = await measure(
      {
        group: 'lenet',
        label: 'lenet',
        unit: 'samples/s',
        peers: ['gd', 'tfjs-wasm'],
        metric: (ms) => 4000 / ms,
        make: (p) => lenetStep(p, batch, values),
      },
      { rounds: 2, minMs: 1, before: (p) => useBackend(p) },
    );
    expect(row.results.gd).toBeDefined();
    expect(row.results['tfjs-wasm']).toBeUndefined();
    expect(row.unsupported?.['tfjs-wasm']).toMatch(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
    const cells = formatTable([row])
      .split('\n')[2]!
      .split('|')
      .map((c) => c.trim());
    expect(cells[4]).toBe(`unsupported: ${row.unsupported!['tfjs-wasm']}`);
    expect(cells[5]).toBe('unsupported');
  });
});
