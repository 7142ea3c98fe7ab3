// The LSTM step computes the same loss on every peer, from the same weights, and gd's memory
// stays flat over 1,000 recorded steps.
import '@tensorflow/tfjs-backend-wasm';
import { memory } from '@gd/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { initJax } from '../src/jax.js';
import { type LstmShape, lstmMemoryOverSteps, lstmStep, lstmValues } from '../src/lstm.js';
import { useBackend } from '../src/peers.js';

// the benchmarked model's structure (2 layers, a head on the last step) at sizes a test can afford
const shape: LstmShape = { layers: 2, input: 5, hidden: 8, steps: 6, batch: 4, classes: 10 };
const values = lstmValues(shape, 3);

beforeAll(() => initJax());

describe('LSTM step', () => {
  let gdLosses: number[] = [];
  it('gd: two steps, the loss falls and memory is freed', () => {
    const before = memory();
    const inst = lstmStep('gd', values);
    gdLosses = [inst.run() as number, inst.run() as number];
    inst.dispose();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    // ten classes from small weights: near ln 10, and the SGD step lowered it on the same batch
    expect(Math.abs(gdLosses[0]! - Math.log(10))).toBeLessThan(0.5);
    expect(gdLosses[1]!).toBeLessThan(gdLosses[0]!);
  });
  it('jax-js: the same loss as gd before and after one step', async () => {
    await useBackend('jax-js');
    const inst = lstmStep('jax-js', values);
    const losses = [inst.run() as number, inst.run() as number];
    inst.dispose();
    expect(losses[0]).toBeCloseTo(gdLosses[0]!, 5);
    expect(losses[1]).toBeCloseTo(gdLosses[1]!, 5);
  });
  for (const peer of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    // Keras's LSTM has one bias (b_ih + b_hh) where gd and PyTorch step two: the models agree
    // before the first update, and each update lowers the loss
    it(`${peer}: the same loss as gd before the first step, and the step lowers it`, async () => {
      await useBackend(peer);
      const inst = lstmStep(peer, values);
      const losses = [inst.run() as number, inst.run() as number];
      inst.dispose();
      expect(losses[0]).toBeCloseTo(gdLosses[0]!, 5);
      expect(losses[1]!).toBeLessThan(losses[0]!);
    });
  }
  it('gd: bytes in use are the same after every 100 of 1,000 steps', () => {
    const samples = lstmMemoryOverSteps(values, 1000, 100);
    expect(samples).toHaveLength(10);
    expect(samples.every((s) => s === samples[0])).toBe(true);
  });
});
