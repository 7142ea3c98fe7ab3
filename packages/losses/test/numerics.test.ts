// Losses where numbers are hard: masked logits (−∞) with class-id targets, whose loss and
// gradient PyTorch 1.13 gives finite (the values below are its), and means over tens of millions
// of elements, which keep float32 precision.
import { variable } from '@gd/autograd';
import { axpyInPlace, full, memory, scope, tensor, zeros } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { crossEntropy, mae, mse, nllLoss } from '../src/index.js';

const inf = Number.POSITIVE_INFINITY;
const ids = (xs: number[]) => tensor(xs, { dtype: 'int32' });

/** Element-wise |a − e| ≤ tol·max(1, |e|); infinities must match exactly; false on NaN. */
function near(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e)) expect(a, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`).toBe(true);
  }
}

describe('crossEntropy and nllLoss with masked (−∞) logits, as PyTorch', () => {
  const logits = [[-inf, 1, 0.5]];

  for (const [target, loss, grad] of [
    [1, 0.4740769863128662, [0, -0.377540647983551, 0.3775406777858734]],
    [2, 0.9740769863128662, [0, 0.622459352016449, -0.6224592924118042]],
  ] as Array<[number, number, number[]]>) {
    it(`[[−∞, 1, 0.5]], class ${target}: loss ${loss.toFixed(4)} (it was NaN) and gradient 0 at −∞`, () => {
      scope(() => {
        expect(crossEntropy(logits, ids([target])).item()).toBeCloseTo(loss, 6);
        const x = variable(logits);
        const l = crossEntropy(x, ids([target]));
        near([l.item()], [loss], 1e-6, 'loss');
        l.backward();
        near(x.grad!.data(), grad, 1e-6, 'grad');
        // nllLoss on the log-probabilities (log-softmax puts −∞ at the masked class)
        const z = variable(logits);
        const n = nllLoss(z.logSoftmax(-1), ids([target]));
        near([n.item()], [loss], 1e-6, 'nll loss');
        n.backward();
        near(z.grad!.data(), grad, 1e-6, 'nll grad');
        // class weights [0, 1, 2]: the weighted mean divides by the target's weight
        const w = variable(logits);
        const lw = crossEntropy(w, ids([target]), { weight: [0, 1, 2] });
        near([lw.item()], [loss], 1e-6, 'weighted loss');
        lw.backward();
        near(w.grad!.data(), grad, 1e-6, 'weighted grad');
      });
    });
  }

  it('a batch with several masked classes: mean, sum and gradient', () => {
    scope(() => {
      const rows = [
        [-inf, 1, 0.5],
        [2, -inf, -inf],
        [0, 0, -inf],
      ];
      const x = variable(rows);
      const l = crossEntropy(x, ids([1, 0, 1]));
      near([l.item()], [0.3890747129917145], 1e-6, 'mean');
      l.backward();
      near(
        x.grad!.data(),
        [0, -0.12584689259529114, 0.12584689259529114, 0, 0, 0, 0.1666666716337204, -0.1666666716337204, 0],
        1e-6,
        'grad',
      );
      near([crossEntropy(rows, ids([1, 0, 1]), { reduction: 'sum' }).item()], [1.1672241687774658], 1e-6, 'sum');
      near(crossEntropy(rows, ids([1, 0, 1]), { reduction: 'none' }).data(), [0.4740769863128662, 0, Math.LN2], 1e-6, 'none');
      // float64 logits
      const x64 = variable(tensor(rows, { dtype: 'float64' }));
      const l64 = crossEntropy(x64, ids([1, 0, 1]));
      near([l64.item()], [(Math.log(Math.E + Math.exp(0.5)) - 1 + 0 + Math.log(2)) / 3], 1e-14, 'float64 mean');
    });
  });

  it('label smoothing spreads weight onto the masked class: loss ∞ and a finite gradient, as PyTorch', () => {
    scope(() => {
      const x = variable(logits);
      const l = crossEntropy(x, ids([1]), { labelSmoothing: 0.1 });
      expect(l.item()).toBe(inf);
      l.backward();
      near(x.grad!.data(), [-0.03333333507180214, -0.31087398529052734, 0.3442073464393616], 1e-6, 'grad');
    });
  });

  it('the target at −∞ is an infinite loss, as PyTorch', () => {
    expect(crossEntropy(logits, ids([0])).item()).toBe(inf);
  });

  it('gradient descent on logits with a masked class converges instead of diverging at step 0', () => {
    const before = memory();
    const x = variable([[-inf, 0, 0, 0]]);
    const y = ids([2]);
    let last = Number.NaN;
    for (let step = 0; step < 50; step++) {
      scope(() => {
        x.zeroGrad();
        const l = crossEntropy(x, y);
        l.backward();
        last = l.item();
        expect(Number.isFinite(last), `step ${step}: loss ${last}`).toBe(true);
        expect(x.grad!.data()[0]).toBe(0);
        axpyInPlace(x.value, x.grad!, -1);
        // the masked logit stays −∞ and every other stays finite
        const d = x.value.data();
        expect(d[0]).toBe(-inf);
        expect(Number.isFinite(d[1]! + d[2]! + d[3]!)).toBe(true);
      });
    }
    // −log softmax of the target falls from log 3 towards 0
    expect(last < 0.05).toBe(true);
    x.grad?.dispose();
    x.value.dispose();
    y.dispose();
    expect(memory().tensors).toBe(before.tensors);
  });
});

describe('loss means over 10⁷ elements keep float32 precision', () => {
  it('mae and mse of 0.1-sized differences: within 1e-6 of float64 (a running sum was 1% off)', () => {
    scope(() => {
      const a = zeros([1e7]);
      const b = full([1e7], 0.1);
      const d = Math.fround(0.1);
      const got = mae(a, b).item();
      expect(Math.abs(got - d) / d <= 1e-6, `mae ${got}`).toBe(true);
      const sq = mse(a, b).item();
      expect(Math.abs(sq - d * d) / (d * d) <= 1e-6, `mse ${sq}`).toBe(true);
    });
  });
});
