import { gradcheck, type Variable, variable } from '@gd/autograd';
import { DTypeError, IndexError, manualSeed, memory, rand, randint, randn, ShapeError, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  crossEntropyOf,
  entropy,
  hinge,
  huber,
  informationContent,
  klDivergence,
  klDivergenceOf,
  mae,
  mse,
  nllLoss,
} from '../src/index.js';

const ids = (xs: number[]) => tensor(xs, { dtype: 'int32' });

describe('regression losses against hand-computed values', () => {
  it('mse: (0² + 0² + 2²)/3, sum and none', () => {
    expect(mse([1, 2, 3], [1, 2, 5]).item()).toBeCloseTo(4 / 3, 6);
    expect(mse([1, 2, 3], [1, 2, 5], { reduction: 'sum' }).item()).toBeCloseTo(4, 6);
    expect(mse([1, 2, 3], [1, 2, 5], { reduction: 'none' }).toArray()).toEqual([0, 0, 4]);
  });
  it('mae and huber (δ = 1): quadratic inside, linear outside', () => {
    expect(mae([1, 2], [2, 4]).item()).toBeCloseTo(1.5, 6);
    // d = 0.5 → 0.125; d = 3 → 1·(3 − 0.5) = 2.5
    expect(huber([0, 0], [0.5, 3]).item()).toBeCloseTo((0.125 + 2.5) / 2, 6);
    expect(huber([0], [3], { delta: 2 }).item()).toBeCloseTo(2 * (3 - 1), 6);
  });
  it('hinge: max(0, 1 − y·ŷ)', () => {
    expect(hinge([0.5, -2, 0.2], [1, -1, -1], { reduction: 'none' }).toArray()).toEqual([0.5, 0, expect.closeTo(1.2, 6)]);
  });
  it('the gradient of mse on a line fit is the docs/tutorial.md §2.3 formula (with its errata corrected)', () => {
    // f = Σ(ŷ − y)², ŷ = a·x + b: ∂f/∂a = Σ 2(ŷ − y)·x, ∂f/∂b = Σ 2(ŷ − y)
    const x = [1, 2, 3, 4];
    const y = [3, 5, 7, 9.5];
    const a = variable([0.5]);
    const b = variable([0.25]);
    const yhat = a.mul(x).add(b);
    mse(yhat, y, { reduction: 'sum' }).backward();
    let da = 0;
    let db = 0;
    x.forEach((xi, i) => {
      const r = 0.5 * xi + 0.25 - y[i]!;
      da += 2 * r * xi;
      db += 2 * r;
    });
    expect(a.grad!.item()).toBeCloseTo(da, 4);
    expect(b.grad!.item()).toBeCloseTo(db, 4);
  });
  it('shape mismatch is a ShapeError', () => {
    expect(() => mse([1, 2, 3], [[1, 2, 3]])).toThrow(ShapeError);
    expect(() => mse([1, 2, 3], [1, 2])).toThrow(/mse: input \[3\] and target \[2\]/);
  });
});

describe('classification losses', () => {
  it('crossEntropy with class ids = −log softmax at the label, as PyTorch', () => {
    const z = [
      [2, 0, 0],
      [0.5, 1.5, -1],
    ];
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse(z[0]!) - 2 + (lse(z[1]!) - 1.5)) / 2;
    expect(crossEntropy(z, ids([0, 1])).item()).toBeCloseTo(expected, 5);
  });
  it('crossEntropy with class weights: mean divides by Σ w_y (PyTorch)', () => {
    const z = [
      [2, 0, 0],
      [0.5, 1.5, -1],
    ];
    const w = [1, 3, 1];
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const l0 = lse(z[0]!) - 2;
    const l1 = lse(z[1]!) - 1.5;
    expect(crossEntropy(z, ids([0, 1]), { weight: w }).item()).toBeCloseTo((1 * l0 + 3 * l1) / 4, 5);
  });
  it('label smoothing: (1 − ε)·nll + ε·mean over classes of −log p', () => {
    const z = [[1, 2, 3]];
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const logp = [1 - lse, 2 - lse, 3 - lse];
    const eps = 0.1;
    const expected = (1 - eps) * -logp[0]! + (eps * -(logp[0]! + logp[1]! + logp[2]!)) / 3;
    expect(crossEntropy(z, ids([0]), { labelSmoothing: eps }).item()).toBeCloseTo(expected, 5);
  });
  it('crossEntropy with probability targets equals the class-id form for one-hot targets', () => {
    scope(() => {
      manualSeed(3);
      const z = randn([5, 4]);
      const y = randint(0, 4, [5]);
      expect(crossEntropy(z, y.oneHot(4)).item()).toBeCloseTo(crossEntropy(z, y).item(), 5);
    });
  });
  it('nllLoss picks −log p at the label', () => {
    expect(
      nllLoss(
        [
          [-0.1, -2.4],
          [-1.2, -0.4],
        ],
        ids([1, 0]),
      ).item(),
    ).toBeCloseTo((2.4 + 1.2) / 2, 6);
  });
  it('binaryCrossEntropy is finite at probabilities exactly 0 and 1 (logs clamped at −100)', () => {
    expect(binaryCrossEntropy([0.9, 0.2], [1, 0]).item()).toBeCloseTo((-Math.log(0.9) - Math.log(0.8)) / 2, 5);
    expect(binaryCrossEntropy([0, 1], [1, 0], { reduction: 'none' }).toArray()).toEqual([100, 100]);
    expect(binaryCrossEntropy([1, 0], [1, 0]).item()).toBeCloseTo(0, 10);
    const p = variable([0, 1, 0.5]);
    binaryCrossEntropy(p, [1, 0, 1]).backward();
    for (const g of p.grad!.data()) expect(Number.isFinite(g)).toBe(true);
  });
  it('binaryCrossEntropyWithLogits is stable at logits ±1e4 and agrees with the probability form', () => {
    expect(binaryCrossEntropyWithLogits([1e4, -1e4], [1, 0]).item()).toBe(0);
    expect(binaryCrossEntropyWithLogits([1e4, -1e4], [0, 1], { reduction: 'none' }).toArray()).toEqual([1e4, 1e4]);
    scope(() => {
      const z = tensor([-2, -0.5, 0, 0.7, 3]);
      const y = tensor([0, 1, 1, 0, 1]);
      expect(binaryCrossEntropyWithLogits(z, y).item()).toBeCloseTo(binaryCrossEntropy(z.sigmoid(), y).item(), 5);
      // gradient at logit 0 is σ(0) − y exactly
      const v = variable([0]);
      binaryCrossEntropyWithLogits(v, [1]).backward();
      expect(v.grad!.item()).toBeCloseTo(-0.5, 6);
    });
  });
  it('posWeight scales the positive term', () => {
    const sp = (x: number) => Math.log1p(Math.exp(x));
    expect(binaryCrossEntropyWithLogits([0.3], [1], { posWeight: [3] }).item()).toBeCloseTo(3 * sp(-0.3), 5);
  });
  it('crossEntropy is finite with logits ±1e4, with finite gradients', () => {
    const z = variable([
      [1e4, -1e4, 0],
      [-1e4, 1e4, 1e4],
    ]);
    const l = crossEntropy(z, ids([1, 0]));
    expect(l.item()).toBeCloseTo((2e4 + 2e4 + Math.log(2)) / 2, 0);
    l.backward();
    for (const g of z.grad!.data()) expect(Number.isFinite(g)).toBe(true);
  });
  it('klDivergence (input log q, target p) matches Σ p log(p/q), 0·log 0 = 0', () => {
    const p = [0.5, 0.5, 0];
    const q = [0.25, 0.5, 0.25];
    const expected = 0.5 * Math.log(0.5 / 0.25);
    expect(klDivergence(tensor(q).log(), p, { reduction: 'sum' }).item()).toBeCloseTo(expected, 6);
    expect(klDivergence(tensor(q).log(), tensor(p).add(1e-30).log(), { reduction: 'sum', logTarget: true }).item()).toBeCloseTo(
      expected,
      5,
    );
  });
  it('bad targets are clear errors', () => {
    expect(() => crossEntropy([[1, 2, 3]], ids([3]))).toThrow(IndexError);
    expect(() => crossEntropy([[1, 2, 3]], ids([3]))).toThrow(/class id 3 at position 0 is out of range for 3 classes/);
    expect(() => crossEntropy([[1, 2, 3]], ids([0, 1]))).toThrow(ShapeError);
    expect(() => nllLoss([[1, 2]], tensor([0]))).toThrow(DTypeError); // float labels; plain JS [0] is a class id
    expect(() => binaryCrossEntropy([1.5], [1])).toThrow(ValueError);
    expect(() => binaryCrossEntropy([0.5], [2])).toThrow(/target 2 at flat index 0 is outside \[0, 1\]/);
    expect(() => mse([1], [1], { reduction: 'avg' as never })).toThrow(ValueError);
  });
});

describe('every loss is differentiable: gradcheck', () => {
  const cases: Array<[string, (x: Variable) => Variable, () => ReturnType<typeof randn>]> = [
    ['mse', (x) => mse(x, [0.1, -0.3, 0.8]), () => randn([3])],
    ['mae', (x) => mae(x, [0.1, -0.3, 0.8]), () => tensor([0.6, 0.4, -0.5])],
    ['huber', (x) => huber(x, [0, 0, 0], { delta: 1 }), () => tensor([0.3, -2, 1.7])],
    ['hinge', (x) => hinge(x, [1, -1, 1]), () => tensor([0.2, 0.5, -0.4])],
    ['binaryCrossEntropy', (x) => binaryCrossEntropy(x, [1, 0, 1]), () => rand([3], { low: 0.1, high: 0.9 })],
    ['binaryCrossEntropyWithLogits', (x) => binaryCrossEntropyWithLogits(x, [1, 0, 0.3], { posWeight: [2, 2, 2] }), () => randn([3])],
    [
      'crossEntropy (ids, smoothing, weight)',
      (x) => crossEntropy(x, ids([2, 0]), { labelSmoothing: 0.1, weight: [1, 2, 0.5] }),
      () => randn([2, 3]),
    ],
    [
      'crossEntropy (probabilities)',
      (x) =>
        crossEntropy(x, [
          [0.2, 0.8, 0],
          [0.3, 0.3, 0.4],
        ]),
      () => randn([2, 3]),
    ],
    ['nllLoss', (x) => nllLoss(x.logSoftmax(), ids([1, 1])), () => randn([2, 3])],
    ['klDivergence', (x) => klDivergence(x.logSoftmax(), [[0.5, 0.5, 0]], { reduction: 'batchmean' }), () => randn([1, 3])],
    ['entropy', (x) => entropy(x.softmax()) as Variable, () => randn([2, 4])],
    ['crossEntropyOf', (x) => crossEntropyOf([0.1, 0.6, 0.3], x.softmax()) as Variable, () => randn([3])],
    ['klDivergenceOf', (x) => klDivergenceOf(x.softmax(), [0.1, 0.6, 0.3]) as Variable, () => randn([3])],
  ];
  for (const [name, f, input] of cases) {
    it(name, () => {
      manualSeed(11);
      scope(() => {
        const r = gradcheck(f, [input()]);
        expect(r.ok, JSON.stringify(r)).toBe(true);
      });
    });
  }
});

describe('information theory (docs/tutorial.md §1.2)', () => {
  it('information content: −log_b p', () => {
    expect(informationContent(0.25, { base: 2 })).toBeCloseTo(2, 6);
    expect(informationContent(0.5, { base: Math.E })).toBeCloseTo(Math.LN2, 6);
    expect(informationContent(0.01, { base: 10 })).toBeCloseTo(2, 5);
    expect(informationContent(1)).toBe(0);
    expect(informationContent(0)).toBe(Number.POSITIVE_INFINITY);
    expect(informationContent([0.5, 0.125])).toEqual([1, 3]);
  });
  it('a fair coin is 1 bit, a fair die log2 6 ≈ 2.585 bits', () => {
    expect(entropy([0.5, 0.5], { base: 2 })).toBeCloseTo(1, 6);
    expect(entropy(Array(6).fill(1 / 6))).toBeCloseTo(Math.log2(6), 5);
    expect(entropy(Array(6).fill(1 / 6))).toBeCloseTo(2.585, 3);
  });
  it('the uniform distribution over N has the maximum log_b N, in every base; a peaked one has less', () => {
    for (const base of [2, Math.E, 10, 3.7]) {
      for (const n of [2, 4, 7]) {
        const h = entropy(Array(n).fill(1 / n), { base });
        expect(h).toBeCloseTo(Math.log(n) / Math.log(base), 5);
        const peaked = Array(n).fill(0.1 / (n - 1));
        peaked[0] = 0.9;
        expect(entropy(peaked, { base })).toBeLessThan(h);
      }
    }
  });
  it('0·log 0 = 0: a certain outcome has entropy 0', () => {
    expect(entropy([1, 0, 0])).toBe(0);
  });
  it('cross-entropy = entropy + KL, and KL ≥ 0 with equality at q = p', () => {
    const p = [0.1, 0.2, 0.7];
    const q = [0.3, 0.3, 0.4];
    expect(crossEntropyOf(p, q)).toBeCloseTo(entropy(p) + klDivergenceOf(p, q), 5);
    expect(klDivergenceOf(p, q)).toBeGreaterThan(0);
    expect(klDivergenceOf(p, p)).toBeCloseTo(0, 6);
    expect(crossEntropyOf([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(-(0.5 * Math.log2(0.25) + 0.5 * Math.log2(0.75)), 5);
  });
  it('rows of a Tensor along an axis', () => {
    const h = entropy(
      tensor([
        [0.5, 0.5],
        [1, 0],
      ]),
    );
    expect(h.toArray()).toEqual([1, 0]);
    const hc = entropy(
      tensor([
        [0.5, 1],
        [0.5, 0],
      ]),
      { axis: 0 },
    );
    expect(hc.toArray()).toEqual([1, 0]);
  });
  it('a "distribution" with negative entries or a sum away from 1 is a ValueError naming the sum', () => {
    expect(() => entropy([0.5, 0.6])).toThrow(ValueError);
    expect(() => entropy([0.5, 0.6])).toThrow(/sums to 1.1/);
    expect(() => entropy([1.5, -0.5])).toThrow(/negative/);
    expect(entropy([1, 1], { normalize: true })).toBeCloseTo(1, 6);
    expect(() => entropy([0.5, 0.5], { base: 1 })).toThrow(/base must be a positive number other than 1/);
    expect(() => entropy([0.5, 0.5], { base: -2 })).toThrow(ValueError);
  });
  it('hostile numerics: tiny and huge probabilities stay finite', () => {
    const tiny = [1e-30, 1 - 1e-30];
    expect(Number.isFinite(entropy(tiny))).toBe(true);
    expect(entropy(tiny)).toBeGreaterThanOrEqual(0);
    expect(crossEntropyOf([1, 0], [1e-38, 1])).toBeCloseTo(-Math.log2(1e-38), 0);
  });
  it('losses on Tensors free their temporaries', () => {
    const before = memory();
    for (let i = 0; i < 50; i++) {
      scope(() => {
        crossEntropy(randn([8, 5]), randint(0, 5, [8]));
        entropy(tensor([0.2, 0.8]));
      });
    }
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });
});

describe('the fused squared error equals its unfused composition', () => {
  it('values and gradients of mse (mean and sum) match (x − y)² reduced, on random shapes', () => {
    for (const shape of [[1], [7], [3, 5], [2, 3, 4]]) {
      scope(() => {
        manualSeed(shape.length);
        const x0 = randn(shape);
        const y0 = randn(shape);
        for (const reduction of ['mean', 'sum'] as const) {
          const a = variable(x0.clone());
          const b = variable(y0.clone());
          const fused = mse(a, b, { reduction });
          fused.backward();
          const a2 = variable(x0.clone());
          const b2 = variable(y0.clone());
          const d = a2.sub(b2).square();
          const plain = reduction === 'mean' ? d.mean() : d.sum();
          plain.backward();
          // the fused sum accumulates in float64; the composition rounds to float32 (≈1e-7 relative)
          expect(Math.abs(fused.item() - plain.item())).toBeLessThanOrEqual(1e-6 * Math.abs(plain.item()));
          const close = (p: Variable, q: Variable) => {
            const want = q.grad!.data();
            for (const [i, v] of p.grad!.data().entries()) expect(v).toBeCloseTo(want[i]!, 6);
          };
          close(a, a2);
          close(b, b2);
          for (const v of [a, b, a2, b2]) v.zeroGrad();
        }
      });
    }
  });
});

describe('float64: every loss computes in float64 against a plain-JS reference', () => {
  const F64 = { dtype: 'float64' } as const;
  const x = [0.3, -1.2, 2.5, 0.05, -0.7, 1.1];
  const y = [0.1, -1, 2, 0.3, 0.2, 1.9];
  const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const near = (got: number, want: number) =>
    expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(want)));
  const one = (t: { dtype: string; item(): number }) => {
    expect(t.dtype).toBe('float64');
    return t.item();
  };
  it('regression losses', () => {
    scope(() => {
      const X = tensor(x, F64);
      const Y = tensor(y, F64);
      near(one(mse(X, Y)), mean(x.map((v, i) => (v - y[i]!) ** 2)));
      near(one(mae(X, Y)), mean(x.map((v, i) => Math.abs(v - y[i]!))));
      const hub = (d: number) => (Math.abs(d) <= 0.5 ? 0.5 * d * d : 0.5 * (Math.abs(d) - 0.25));
      near(one(huber(X, Y, { delta: 0.5 })), mean(x.map((v, i) => hub(v - y[i]!))));
      const s = y.map((v) => (v > 0.25 ? 1 : -1));
      near(one(hinge(X, tensor(s, F64))), mean(x.map((v, i) => Math.max(0, 1 - s[i]! * v))));
    });
  });
  it('classification losses', () => {
    scope(() => {
      const p = [0.9, 0.2, 0.55, 1e-9];
      const t = [1, 0, 1, 0];
      near(
        one(binaryCrossEntropy(tensor(p, F64), tensor(t, F64))),
        mean(p.map((v, i) => -(t[i]! * Math.log(v) + (1 - t[i]!) * Math.log(1 - v)))),
      );
      const z = [3, -2, 0.1, -0.4];
      const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      near(one(binaryCrossEntropyWithLogits(tensor(z, F64), tensor(t, F64))), mean(z.map((v, i) => sp(v) - t[i]! * v)));
      const logits = [
        [2, 0.5, -1],
        [0.1, 0.2, 0.3],
      ];
      const ids = [0, 2];
      const lse = logits.map((r) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)));
      near(one(crossEntropy(tensor(logits, F64), tensor(ids, { dtype: 'int32' }))), mean(ids.map((k, r) => lse[r]! - logits[r]![k]!)));
      const logp = logits.map((r, i) => r.map((v) => v - lse[i]!));
      near(one(nllLoss(tensor(logp, F64), tensor(ids, { dtype: 'int32' }))), mean(ids.map((k, r) => -logp[r]![k]!)));
      const q = [0.2, 0.3, 0.5];
      const lp = [0.1, 0.6, 0.3].map(Math.log);
      near(
        one(klDivergence(tensor(lp, F64), tensor(q, F64), { reduction: 'sum' })),
        q.reduce((s, v, i) => s + v * (Math.log(v) - lp[i]!), 0),
      );
    });
  });
  it('gradients of a loss are float64 and pass a float64 gradcheck', () => {
    scope(() => {
      const w = variable(tensor(x, F64));
      const l = mse(w, tensor(y, F64));
      l.backward();
      expect(w.grad!.dtype).toBe('float64');
      const r = gradcheck((a: Variable) => crossEntropy(a.reshape([2, 3]), tensor([0, 2], { dtype: 'int32' })), [x]);
      expect(r.dtype).toBe('float64');
      expect(r.maxRelError).toBeLessThan(1e-7);
      w.zeroGrad();
    });
  });
});
