// A Sequential whose forward throws half-way frees what the layers before the failing one made.
import { manualSeed, memory, randn, ShapeError, scope } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential } from '../src/index.js';

describe('Sequential forward that throws', () => {
  it('frees the intermediates and rethrows the error unchanged', () => {
    manualSeed(0);
    // the second Linear expects 5 features, the first gives 4: the error comes after two layers ran
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(5, 2));
    const x = randn([2, 3]);
    const before = memory();
    let err: unknown;
    try {
      model.forward(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toMatch(/matmul|linear/i);
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    // and a forward that succeeds keeps its graph intact for backward
    const ok = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    scope(() => {
      const loss = ok.forward(x).square().sum();
      loss.backward();
      const g = ok.parameters()[0]!.grad!;
      expect(g.shape).toEqual([4, 3]);
      expect(Number.isFinite(g.sum().item())).toBe(true);
    });
    x.dispose();
  });
});
