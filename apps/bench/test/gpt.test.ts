// The char-level GPT step runs on every peer: from small weights its loss starts near ln 3000 (a
// uniform guess over the vocabulary) and falls on the same batch; gd's frees what it made.
import '@tensorflow/tfjs-backend-wasm';
import { memory } from '@gd/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT, type GptShape, gptBatch, gptMemoryOverSteps, gptStep, gptStepFlops } from '../src/gpt.js';
import { initJax } from '../src/jax.js';
import { useBackend } from '../src/peers.js';

beforeAll(() => initJax());

describe('GPT step', () => {
  it('counts 3 × the forward products: 4·(2·1024·128·384 + 2·1024·128² + 4·1024·128·512 + 4·16·4·64²·32) + 2·1024·128·3000', () => {
    const forward =
      4 * (2 * 1024 * 128 * 384 + 2 * 1024 * 128 * 128 + 4 * 1024 * 128 * 512 + 4 * 16 * 4 * 64 * 64 * 32) + 2 * 1024 * 128 * 3000;
    expect(gptStepFlops()).toBe(3 * forward);
  });

  it('the batch: targets are the inputs shifted by one, ids within the vocabulary', () => {
    const { x, y } = gptBatch();
    expect(x.length).toBe(GPT.batch * GPT.context);
    for (let i = 0; i + 1 < GPT.context; i++) expect(y[i]).toBe(x[i + 1]);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...y)).toBeLessThan(GPT.vocab);
  });

  for (const peer of ['gd', 'tfjs-wasm', 'jax-js'] as const) {
    it(`${peer}: the loss starts near ln 3000 and falls over three AdamW steps`, async () => {
      await useBackend(peer);
      const before = memory();
      const inst = gptStep(peer);
      const losses: number[] = [];
      const inUse: number[] = [];
      for (let i = 0; i < 3; i++) {
        losses.push(inst.run() as number);
        inUse.push(memory().bytesInUse);
      }
      inst.dispose();
      if (peer === 'gd') {
        // the recorded step allocates nothing: the heap in use is the same after every step
        expect(new Set(inUse).size).toBe(1);
        expect(memory().bytesInUse).toBe(before.bytesInUse);
        expect(memory().tensors).toBe(before.tensors);
      }
      expect(Math.abs(losses[0]! - Math.log(GPT.vocab))).toBeLessThan(1);
      expect(losses[2]!).toBeLessThan(losses[0]!);
    }, 120_000);
  }

  it('gd: bytes in use are the same after every 100 of 1,000 steps (the same blocks at sizes a test can afford)', () => {
    const small: GptShape = { vocab: 40, context: 8, width: 16, heads: 2, layers: 2, ff: 32, batch: 2, lr: 3e-3, weightDecay: 0.01 };
    const before = memory();
    const samples = gptMemoryOverSteps(small, 1000, 100);
    expect(samples).toHaveLength(10);
    expect(samples.every((s) => s === samples[0])).toBe(true);
    // and the step gave back everything it made
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  }, 120_000);
});
