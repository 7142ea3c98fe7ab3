// Class-id labels: plain JS integers of the class-id shape are class ids (as torch.tensor([0, 2, 1])
// is int64), and float labels of that shape say class ids must be int32.
import { variable } from '@gd/autograd';
import { DTypeError, memory, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { crossEntropy, nllLoss } from '../src/index.js';

const logits = [
  [2, 0, 0],
  [0, 1, 3],
  [0.5, 0.5, -1],
];
/** −log softmax(row)[k], by hand. */
const nll = (row: number[], k: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[k]!;

describe('class-id labels', () => {
  it('plain JS integer labels are class ids, for Tensors and Variables', () => {
    const ids = [0, 2, 1];
    const expected = (nll(logits[0]!, 0) + nll(logits[1]!, 2) + nll(logits[2]!, 1)) / 3;
    const L = tensor(logits);
    const before = memory();
    const t = crossEntropy(L, ids);
    expect(Math.abs(t.item() - expected)).toBeLessThan(1e-6);
    t.dispose();
    // the int32 ids made from the JS labels were freed with the loss's temporaries
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    L.dispose();
    const v = variable(tensor(logits));
    const loss = crossEntropy(v, ids);
    expect(Math.abs(loss.item() - expected)).toBeLessThan(1e-6);
    loss.backward();
    // d/dz mean CE = (softmax(z) − onehot) / N; row 0, class 0
    const e = logits[0]!.map(Math.exp);
    const s0 = e[0]! / e.reduce((a, b) => a + b, 0);
    expect(Math.abs((v.grad!.toArray() as number[][])[0]![0]! - (s0 - 1) / 3)).toBeLessThan(1e-6);
    // a single sample: [C] logits and one id
    expect(Math.abs(crossEntropy(logits[1]!, 2).item() - nll(logits[1]!, 2))).toBeLessThan(1e-6);
    const lp = tensor(logits).logSoftmax(-1);
    expect(Math.abs(nllLoss(lp, [1, 1, 0]).item() - (nll(logits[0]!, 1) + nll(logits[1]!, 1) + nll(logits[2]!, 0)) / 3)).toBeLessThan(1e-6);
  });

  it('probability targets of the input shape are still probabilities', () => {
    const p = [
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ];
    const expected = (nll(logits[0]!, 0) + nll(logits[1]!, 2) + nll(logits[2]!, 1)) / 3;
    expect(Math.abs(crossEntropy(logits, p).item() - expected)).toBeLessThan(1e-6);
  });

  it('float labels of the class-id shape are a DTypeError saying class ids must be int32', () => {
    const f = tensor([0, 2, 1]);
    for (const [name, run] of [
      ['crossEntropy', () => crossEntropy(tensor(logits), f)],
      ['nllLoss', () => nllLoss(tensor(logits), f)],
      ['crossEntropy', () => crossEntropy(variable(tensor(logits)), f)],
    ] as const) {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DTypeError);
      expect((err as Error).message).toBe(
        `${name}: targets [3] float32 have the shape of class ids for input [3,3], and class ids must be int32; pass tensor(ids, { dtype: 'int32' }) or labels.cast('int32') (probability targets have the input's shape [3,3])`,
      );
    }
    // fractional JS labels are not class ids either
    expect(() => crossEntropy(logits, [0, 1.5, 1])).toThrow(/class ids must be int32/);
  });
});
