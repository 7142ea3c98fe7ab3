// The fused softmax cross-entropy (softmaxCrossEntropy and its backward) against a plain-JS float64
// reference: values and gradients for odd class counts (the four-lane body and the scalar tail),
// rows with −∞, +∞, NaN and huge logits as PyTorch's cross_entropy gives them, replays, errors and
// leaks; and exp (math.ts expf4, which these kernels use) against Math.exp over its whole range.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropyBackward } from '../src/grad.js';
import {
  copyInto,
  DTypeError,
  GdError,
  IndexError,
  manualSeed,
  memory,
  randn,
  record,
  ShapeError,
  scope,
  softmaxCrossEntropy,
  type Tensor,
  tensor,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

/** Per row: lse (float64 sums over the shifted exponentials), loss = lse − x_y, and dx for upstream g (loss) and h (lse). */
function reference(x: ArrayLike<number>, ids: ArrayLike<number>, g: number[], h: number[], c: number) {
  const n = ids.length;
  const loss: number[] = [];
  const lse: number[] = [];
  const dx: number[] = [];
  for (let r = 0; r < n; r++) {
    const row = Array.from({ length: c }, (_, j) => x[r * c + j]!);
    const m = Math.max(...row);
    const l = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    lse.push(l);
    loss.push(l - row[ids[r]!]!);
    for (let j = 0; j < c; j++) dx.push(Math.exp(row[j]! - l) * (g[r]! + h[r]!) - (j === ids[r] ? g[r]! : 0));
  }
  return { loss, lse, dx };
}

/** Largest |a − b| / (atol + |b|) over the entries; NaN when any entry is NaN (so `<=` fails). */
function maxErr(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): number {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / (atol + Math.abs(b[i]!));
    if (!(d <= e)) e = Number.isNaN(d) ? Number.NaN : d;
    if (Number.isNaN(e)) return e;
  }
  return e;
}

const ids = (n: number, c: number, seed: number) => tensor(Int32Array.from({ length: n }, (_, i) => (i * 7919 + seed) % c));

describe('softmaxCrossEntropy', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [n, c] of [
      [5, 7],
      [3, 1],
      [4, 33],
      [6, 1001],
      [2, 64],
    ] as const) {
      it(`${dtype} [${n}, ${c}]: loss, lse and dx match the float64 reference`, () => {
        scope(() => {
          manualSeed(n * 100 + c);
          const x = randn([n, c], { dtype }).mul(3);
          const y = ids(n, c, 3);
          const out = softmaxCrossEntropy(x, y);
          expect(out.shape).toEqual([2, n]);
          expect(out.dtype).toBe(dtype);
          const gv = Array.from({ length: n }, (_, i) => 0.5 - i / n);
          const hv = Array.from({ length: n }, (_, i) => (i % 2 ? 0.25 : 0));
          const g = tensor([gv, hv], { dtype });
          const dx = softmaxCrossEntropyBackward(x, y, out, g);
          expect(dx.shape).toEqual([n, c]);
          const ref = reference(x.data(), y.data(), gv, hv, c);
          const o = out.data();
          const tol = dtype === 'float64' ? 1e-13 : 2e-6;
          expect(maxErr(o.subarray(0, n), ref.loss, 1e-6)).toBeLessThanOrEqual(tol);
          expect(maxErr(o.subarray(n), ref.lse, 1e-6)).toBeLessThanOrEqual(tol);
          expect(maxErr(dx.data(), ref.dx, 1e-6)).toBeLessThanOrEqual(tol);
        });
      });
    }
  }

  it('agrees with the softmax family: loss = −logSoftmax(x)[y], lse = logSumExp(x)', () => {
    scope(() => {
      manualSeed(4);
      const x = randn([9, 131]).mul(5);
      const y = ids(9, 131, 11);
      const o = softmaxCrossEntropy(x, y).data();
      const logp = x.logSoftmax(-1).data();
      const lse = x.logSumExp(-1).data();
      const yv = y.data();
      for (let r = 0; r < 9; r++) {
        expect(o[r]).toBe(-logp[r * 131 + yv[r]!]!);
        expect(o[9 + r]).toBe(lse[r]);
      }
    });
  });

  it('is stable and follows PyTorch on −∞, +∞, NaN and huge logits', () => {
    scope(() => {
      const inf = Number.POSITIVE_INFINITY;
      // 5 classes: the lane body is 4 wide, so the last logit is the scalar tail
      const x = tensor([
        [1e30, 0, -1e30, 2, 1], // huge: the max is subtracted first, loss exact
        [0, -inf, 1, 2, -inf], // masked logits: probability 0, gradient 0
        [-inf, 0, 1, 2, 3], // the class's own logit −∞: loss +∞, gradient −g there
        [-inf, -inf, -inf, -inf, -inf], // all masked: NaN (0/0), as PyTorch
        [0, inf, 1, 2, 3], // +∞ in the body: NaN (∞ − ∞)
        [0, 1, 2, 3, Number.NaN], // NaN in the tail: NaN
        [Number.NaN, 1, 2, 3, 4], // NaN in the body: NaN
        [88, 88, -3e38, 0, 88], // Σ eˣ overflows float32 unshifted (3·e⁸⁸ > 3.4e38): loss log 3
      ]);
      const y = tensor([0, 3, 0, 1, 2, 1, 1, 4], { dtype: 'int32' });
      const out = softmaxCrossEntropy(x, y);
      const o = Array.from(out.data());
      const loss = o.slice(0, 8);
      expect(loss[0]).toBe(0);
      const row1 = Math.log(1 + Math.E + Math.E ** 2) - 2;
      expect(Math.abs(loss[1]! - row1)).toBeLessThan(1e-6);
      expect(loss[2]).toBe(inf);
      for (const r of [3, 4, 5, 6]) expect(loss[r], `row ${r}`).toBeNaN();
      expect(Math.abs(loss[7]! - Math.log(3))).toBeLessThan(1e-5);
      const g = tensor([new Array(8).fill(0.5), new Array(8).fill(0)]);
      const dx = Array.from(softmaxCrossEntropyBackward(x, y, out, g).data());
      const row = (r: number) => dx.slice(r * 5, r * 5 + 5);
      expect(row(0)).toEqual([0, 0, 0, 0, 0]);
      expect(row(1)[1]).toBe(0);
      expect(row(1)[4]).toBe(0);
      expect(Math.abs(row(1).reduce((a, b) => a + b, 0))).toBeLessThan(1e-7);
      // the class's own logit −∞: softmax 0 there, so −g; the rest softmax·g
      expect(row(2)[0]).toBe(-0.5);
      expect(Math.abs(row(2)[4]! - 0.5 * (Math.E ** 3 / (1 + Math.E + Math.E ** 2 + Math.E ** 3)))).toBeLessThan(1e-7);
      for (const r of [3, 4, 5, 6]) for (const v of row(r)) expect(v, `row ${r}`).toBeNaN();
      expect(row(7)[2]).toBe(0);
      expect(Math.abs(row(7)[4]! - (0.5 / 3 - 0.5))).toBeLessThan(1e-6);
      expect(Math.abs(row(7)[0]! - 0.5 / 3)).toBeLessThan(1e-6);
    });
  });

  it('a replay reads the logits and class ids afresh', () => {
    scope(() => {
      manualSeed(5);
      const x = randn([40, 77]);
      const y = ids(40, 77, 1);
      const g = tensor([new Array(40).fill(1 / 40), new Array(40).fill(0)]);
      const rec = record(() => {
        const out = softmaxCrossEntropy(x, y);
        return [out, softmaxCrossEntropyBackward(x, y, out, g)] as const;
      });
      copyInto(x, randn([40, 77]));
      copyInto(y, ids(40, 77, 30));
      rec.replay();
      const [out, dx] = rec.result;
      const fresh = softmaxCrossEntropy(x, y);
      expect(Array.from(out.data())).toEqual(Array.from(fresh.data()));
      expect(Array.from(dx.data())).toEqual(Array.from(softmaxCrossEntropyBackward(x, y, fresh, g).data()));
      // an id out of range is found by the replay too
      copyInto(y, tensor(new Int32Array(40).fill(77)));
      expect(() => rec.replay()).toThrow(IndexError);
      rec.dispose();
    });
  });

  it('leaks nothing, forward and backward, float32 and float64', () => {
    const before = memory();
    scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = randn([8, 9], { dtype });
        const y = ids(8, 9, 0);
        const out = softmaxCrossEntropy(x, y);
        softmaxCrossEntropyBackward(x, y, out, tensor([new Array(8).fill(1), new Array(8).fill(1)]));
        // int32 logits are cast (the cast freed)
        softmaxCrossEntropy(tensor([[1, 2, 3]], { dtype: 'int32' }), tensor([2], { dtype: 'int32' }));
      }
    });
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });

  it('rejects bad shapes, dtypes and class ids with typed errors, leaking nothing', () => {
    const x = randn([3, 4]);
    const y = tensor([0, 1, 3], { dtype: 'int32' });
    const x3 = randn([2, 3, 4]);
    const floatIds = tensor([0, 1, 3]);
    const short = tensor([0, 1], { dtype: 'int32' });
    const high = tensor([0, 4, 1], { dtype: 'int32' });
    const low = tensor([0, 1, -1], { dtype: 'int32' });
    const flatG = tensor([1, 2, 3]);
    fails(() => softmaxCrossEntropy(x3, y), ShapeError, /softmaxCrossEntropy: logits must be \[N, C\], got \[2,3,4\]/);
    fails(() => softmaxCrossEntropy(x, floatIds), DTypeError, /softmaxCrossEntropy: class ids must be int32, got float32 \[3\]/);
    fails(
      () => softmaxCrossEntropy(x, short),
      ShapeError,
      /softmaxCrossEntropy: class ids \[2\] do not match logits \[3,4\] \(expected \[3\]\)/,
    );
    fails(
      () => softmaxCrossEntropy(x, high),
      IndexError,
      /softmaxCrossEntropy: class id 4 at position 1 is out of range for 4 classes \(expected 0..3\)/,
    );
    fails(() => softmaxCrossEntropy(x, low), IndexError, /class id -1 at position 2 is out of range/);
    const out = softmaxCrossEntropy(x, y);
    fails(() => softmaxCrossEntropyBackward(x, y, out, flatG), ShapeError, /softmaxCrossEntropyBackward: g must be \[2, 3\], got \[3\]/);
    fails(() => softmaxCrossEntropyBackward(x, high, out, out), IndexError, /softmaxCrossEntropyBackward: class id 4 at position 1/);
    for (const t of [x, y, x3, floatIds, short, high, low, flatG, out] as Tensor[]) t.dispose();
  });

  it('takes JS data: logits as float32, class ids as int32 (the doc example), leaking nothing', () => {
    const before = memory();
    const out = softmaxCrossEntropy([[2, 0, 0]], [0]);
    const [loss, lse] = Array.from(out.data());
    const want = Math.log(Math.E ** 2 + 2);
    expect(Math.abs(loss! - (want - 2))).toBeLessThan(1e-6);
    expect(Math.abs(lse! - want)).toBeLessThan(1e-6);
    out.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    fails(() => softmaxCrossEntropy([[2, 0, 0]], [3]), IndexError, /class id 3 at position 0 is out of range for 3 classes/);
  });

  it('an empty batch gives [2, 0] and no kernel call', () => {
    scope(() => {
      const out = softmaxCrossEntropy(randn([0, 5]), tensor([], { dtype: 'int32' }));
      expect(out.shape).toEqual([2, 0]);
    });
  });
});

describe('exp in four lanes (expf4), read through the fused backward', () => {
  // dx_j = expf4(x_j − 0)·1 for j ≠ y with lse 0, g 1, h 0: float32 exp of every x
  function exps(values: number[]): Float32Array {
    return scope(() => {
      const c = values.length + 1;
      const x = tensor([[...values, 0]]);
      const y = tensor([c - 1], { dtype: 'int32' });
      const dx = softmaxCrossEntropyBackward(x, y, tensor([[0], [0]]), tensor([[1], [0]]));
      return dx.data().subarray(0, values.length) as Float32Array;
    });
  }

  it('is within 2 ulp of Math.exp over [−87.3, 88.3], 0 below −87.33654, +∞ above 88.72283, NaN for NaN', () => {
    const xs: number[] = [];
    for (let v = -87.3; v <= 88.3; v += 0.01731) xs.push(Math.fround(v));
    const got = exps(xs);
    let worst = 0;
    xs.forEach((v, i) => {
      const want = Math.exp(v);
      const ulp = 2 ** (Math.floor(Math.log2(want)) - 23);
      worst = Math.max(worst, Math.abs(got[i]! - want) / ulp);
    });
    expect(worst).toBeLessThanOrEqual(2);
    const edge = exps([-87.34, -100, Number.NEGATIVE_INFINITY, 88.73, 1e30, Number.POSITIVE_INFINITY, Number.NaN, 0, -0]);
    expect(Array.from(edge.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(edge.subarray(3, 6))).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(edge[6]).toBeNaN();
    expect(Array.from(edge.subarray(7))).toEqual([1, 1]);
  });
});
