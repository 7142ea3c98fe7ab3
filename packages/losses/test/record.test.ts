import { variable } from '@gd/autograd';
import { copyInto, IndexError, keep, randn, record, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropy, crossEntropy, mse } from '../src/index.js';

const bits = (a: Float32Array | Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('losses under record()', () => {
  it('crossEntropy and its gradient replay bit for bit, and its class-id check replays too', () => {
    const z = variable(randn([6, 4]));
    const labels = tensor([0, 3, 1, 2, 2, 0], { dtype: 'int32' });
    const eager = crossEntropy(z, labels);
    eager.backward();
    const eagerLoss = eager.value.data();
    const eagerGrad = z.grad!.data();
    z.zeroGrad();
    const r = record(() => {
      const l = crossEntropy(z, labels);
      l.backward();
      return keep(l.value);
    });
    const grad = z.grad!;
    r.replay();
    expect(bits(r.result.data()).equals(bits(eagerLoss))).toBe(true);
    expect(bits(grad.data()).equals(bits(eagerGrad))).toBe(true);
    copyInto(labels, tensor([0, 3, 1, 2, 4, 0], { dtype: 'int32' }));
    expect(() => r.replay()).toThrow(IndexError);
    expect(() => r.replay()).toThrow(/crossEntropy: class id 4 at position 4 is out of range for 4 classes/);
    r.result.dispose();
    r.dispose();
    z.zeroGrad();
    z.value.dispose();
    labels.dispose();
    eager.value.dispose();
  });

  it('mse (its fused op) and binaryCrossEntropy replay, the probability check included', () => {
    const p = variable([0.2, 0.7, 0.9]);
    const t = tensor([0, 1, 1]);
    const r = record(() => keep(mse(p, t).value));
    const want = ((0.2 - 0) ** 2 + (0.7 - 1) ** 2 + (0.9 - 1) ** 2) / 3;
    expect(r.result.item()).toBeCloseTo(want, 6);
    copyInto(p.value, tensor([1, 1, 1]));
    r.replay();
    expect(r.result.item()).toBeCloseTo(1 / 3, 6);
    const b = record(() => keep(binaryCrossEntropy(p, t).value));
    copyInto(t, tensor([0, 1, 2]));
    expect(() => b.replay()).toThrow(ValueError);
    for (const x of [r, b]) {
      x.result.dispose();
      x.dispose();
    }
    p.value.dispose();
    t.dispose();
  });
});
