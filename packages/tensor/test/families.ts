// One small case per op family, each checked against plain JS (reference.ts or the formula
// written out). The cases take the package as an argument so that a test can run them on a
// fresh runtime (a heap pushed past 2 GiB, memory grown in the middle of an op, threads).
import { expect } from 'vitest';
import type * as GdGrad from '../src/grad.js';
import type * as Gd from '../src/index.js';
import * as R from './reference.js';

/** The package's root and its grad subpath together. */
export type Api = typeof Gd & typeof GdGrad;
type T = Gd.Tensor;

export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e)) expect(a).toBeNaN();
    else if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

/** A tensor as the plain-JS reference's { shape, data }. */
export const ref = (t: T): R.Ref => ({ shape: [...t.shape], data: Array.from(t.data()) });
// 2×3×5 values, off multiples of 4 so SIMD loops have tails
const A = Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) - 5 + i / 8);
const B5 = [0.5, -2, 3, 1.25, -0.75];
const I = Array.from({ length: 30 }, (_, i) => ((i * 5) % 9) - 4);

/** One case: builds its inputs (inside the current scope), runs the op and checks the result. */
export interface Case {
  name: string;
  run: (g: Api) => void;
}

export const cases: Case[] = [
  {
    name: 'tensor, data, item, toArray, full, eye, arange',
    run: (g) => {
      const a = g.tensor(A, { shape: [2, 3, 5] });
      close(a.data(), A.map(Math.fround), 0);
      expect(g.tensor([[7]]).item()).toBe(7);
      expect(g.tensor([1, 2, 3], { dtype: 'int32' }).toArray()).toEqual([1, 2, 3]);
      expect(g.full([2, 3], -2, 'int32').toArray()).toEqual([
        [-2, -2, -2],
        [-2, -2, -2],
      ]);
      expect(g.eye(3, 2).toArray()).toEqual([
        [1, 0],
        [0, 1],
        [0, 0],
      ]);
      expect(g.arange(2, 13, 3).toArray()).toEqual([2, 5, 8, 11]);
    },
  },
  {
    name: 'elementwise unary (float32, int32 and int32 promoted)',
    run: (g) => {
      const a = g.tensor(A, { shape: [2, 3, 5] });
      close(a.exp().data(), A.map(Math.exp), 2e-6);
      close(
        a.abs().sqrt().data(),
        A.map((x) => Math.sqrt(Math.abs(x))),
        2e-6,
      );
      close(
        a.clamp(-1, 2).data(),
        A.map((x) => Math.min(2, Math.max(-1, Math.fround(x)))),
        0,
      );
      close(a.tanh().data(), A.map(Math.tanh), 2e-6);
      const i = g.tensor(I, { dtype: 'int32' });
      expect(Array.from(i.abs().data())).toEqual(I.map(Math.abs));
      expect(i.abs().dtype).toBe('int32');
      close(i.exp().data(), I.map(Math.exp), 2e-6);
    },
  },
  {
    name: 'broadcast binary (float32, int32, mixed dtypes cast)',
    run: (g) => {
      const a = g.tensor(A, { shape: [2, 3, 5] });
      const b = g.tensor(B5);
      const r = R.binary(ref(a), ref(b), (x, y) => x * y + 0);
      close(a.mul(b).data(), r.data);
      const i = g.tensor(I, { dtype: 'int32', shape: [2, 3, 5] });
      const bi = g.tensor([[1], [2], [3]], { dtype: 'int32' });
      expect(Array.from(i.sub(bi).data())).toEqual(R.binary(ref(i), ref(bi), (x, y) => x - y).data);
      close(i.add(b).data(), R.binary(ref(i), ref(b), (x, y) => x + y).data);
      close(
        a.pow(2).data(),
        A.map((x) => Math.fround(x) ** 2),
        2e-6,
      );
    },
  },
  {
    name: 'compare and where',
    run: (g) => {
      const a = g.tensor(A, { shape: [2, 3, 5] });
      const b = g.tensor(B5);
      const gt = a.gt(b);
      expect(gt.dtype).toBe('int32');
      expect(Array.from(gt.data())).toEqual(R.binary(ref(a), ref(b), (x, y) => (x > y ? 1 : 0)).data);
      // a float condition goes through an internal ne(cond, 0)
      const cond = g.tensor([1, 0, 2, 0, -1]);
      close(g.where(cond, a, g.tensor(-9)).data(), R.binary(ref(a), ref(cond), (x, c) => (c !== 0 ? x : -9)).data);
      const ii = g.tensor(I, { dtype: 'int32', shape: [2, 3, 5] });
      expect(Array.from(g.where(g.tensor([1, 0, 1, 0, 1], { dtype: 'int32' }), ii, ii.neg()).data())).toEqual(
        I.map((x, k) => ((k % 5) % 2 === 0 ? x : -x || 0)),
      );
    },
  },
  {
    name: 'reductions (several axis runs, int32, mean of int32 cast) and arg-reductions',
    run: (g) => {
      const a = g.tensor(A, { shape: [2, 3, 5] });
      const ra = ref(a);
      const s02 = R.reduceAxis(
        R.reduceAxis(
          ra,
          2,
          (x, v) => x + v,
          (v) => v,
        ),
        0,
        (x, v) => x + v,
        (v) => v,
      );
      close(a.sum([0, 2]).data(), s02.data);
      close(a.max(1).data(), R.reduceAxis(ra, 1, Math.max, (v) => v).data, 0);
      close(a.mean().data(), [A.reduce((x, v) => x + Math.fround(v), 0) / 30]);
      const i = g.tensor(I, { dtype: 'int32', shape: [6, 5] });
      expect(Array.from(i.sum(0).data())).toEqual(
        R.reduceAxis(
          ref(i),
          0,
          (x, v) => x + v,
          (v) => v,
        ).data,
      );
      close(
        i.mean(1).data(),
        R.reduceAxis(
          ref(i),
          1,
          (x, v) => x + v / 5,
          (v) => v / 5,
        ).data,
      );
      const am = a.argmax(2);
      const refArg = R.reduceAxis(
        { shape: [6, 5], data: ra.data },
        1,
        () => 0,
        () => 0,
      ).data.map((_, row) => {
        const seg = ra.data.slice(row * 5, row * 5 + 5);
        return seg.indexOf(Math.max(...seg));
      });
      expect(Array.from(am.data())).toEqual(refArg);
      expect(i.argmin().item()).toBe(I.indexOf(Math.min(...I)));
    },
  },
  {
    name: 'softmax family and its backward (int32 input cast)',
    run: (g) => {
      const rows = [A.slice(0, 5), A.slice(5, 10), A.slice(10, 15)];
      const x = g.tensor(rows);
      const lse = rows.map((r) => {
        const m = Math.max(...r);
        return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
      });
      const sm = rows.flatMap((r, k) => r.map((v) => Math.exp(v - lse[k]!)));
      close(x.logSumExp(1).data(), lse, 2e-6);
      close(x.softmax().data(), sm, 2e-6);
      close(
        x.logSoftmax().data(),
        rows.flatMap((r, k) => r.map((v) => v - lse[k]!)),
        2e-6,
      );
      const y = x.softmax();
      const dy = g.tensor(rows.map((r) => r.map((v) => v / 3)));
      const dx = g.softmaxBackward(y, dy, 1, false);
      const want = rows.flatMap((r, k) => {
        const yk = sm.slice(k * 5, k * 5 + 5);
        const dot = r.reduce((s, v, j) => s + (v / 3) * yk[j]!, 0);
        return r.map((v, j) => yk[j]! * (v / 3 - dot));
      });
      close(dx.data(), want, 2e-5);
      close(g.softmax(g.tensor([1, 2], { dtype: 'int32' })).data(), [1 / (1 + Math.E), Math.E / (1 + Math.E)], 2e-6);
    },
  },
  {
    name: 'matmul (2-D, transposed, batched, int32 operand cast)',
    run: (g) => {
      const a = g.tensor(A.slice(0, 15), { shape: [3, 5] });
      const b = g.tensor(A.slice(10, 30), { shape: [5, 4] });
      close(a.matmul(b).data(), R.matmul(ref(a), ref(b)).data, 1e-5);
      close(g.matmul(a, a, { transposeB: true }).data(), R.matmul(ref(a), R.transpose2d(ref(a))).data, 1e-5);
      const i = g.tensor(I.slice(0, 20), { dtype: 'int32', shape: [5, 4] });
      close(a.matmul(i).data(), R.matmul(ref(a), ref(i)).data, 1e-5);
      const batch = g.tensor(A, { shape: [2, 3, 5] });
      const out = batch.matmul(b);
      expect(out.shape).toEqual([2, 3, 4]);
      close(out.data(), [
        ...R.matmul({ shape: [3, 5], data: A.slice(0, 15).map(Math.fround) }, ref(b)).data,
        ...R.matmul({ shape: [3, 5], data: A.slice(15).map(Math.fround) }, ref(b)).data,
      ]);
    },
  },
  {
    name: 'layout: transpose, reshape, squeeze, slice, broadcastTo, concat, stack, sumTo, padSlice',
    run: (g) => {
      const a = g.tensor(A.slice(0, 15), { shape: [3, 5] });
      close(a.T.data(), R.transpose2d(ref(a)).data, 0);
      expect(a.reshape([5, -1]).shape).toEqual([5, 3]);
      expect(a.expandDims(1).squeeze().shape).toEqual([3, 5]);
      const sl = a.slice([1, 2], [2, 2]);
      close(sl.data(), [A[7]!, A[8]!, A[12]!, A[13]!].map(Math.fround), 0);
      close(g.tensor(B5).broadcastTo([2, 5]).data(), [...B5, ...B5].map(Math.fround), 0);
      // float32 first, then int32: the int32 part is cast inside concat
      const i = g.tensor(I.slice(0, 10), { dtype: 'int32', shape: [2, 5] });
      const c = g.concat([a, i], 0);
      expect(c.shape).toEqual([5, 5]);
      close(c.data(), [...A.slice(0, 15).map(Math.fround), ...I.slice(0, 10)], 0);
      const s = g.stack([i, i], 1);
      expect(s.shape).toEqual([2, 2, 5]);
      expect(Array.from(s.data())).toEqual([...I.slice(0, 5), ...I.slice(0, 5), ...I.slice(5, 10), ...I.slice(5, 10)]);
      close(
        g.sumTo(a, [1, 5]).data(),
        R.reduceAxis(
          ref(a),
          0,
          (x, v) => x + v,
          (v) => v,
        ).data,
      );
      const p = g.padSlice(sl, [1, 2], [3, 5]);
      close(p.data(), [0, 0, 0, 0, 0, 0, 0, A[7]!, A[8]!, 0, 0, 0, A[12]!, A[13]!, 0].map(Math.fround), 0);
    },
  },
  {
    name: 'gather, gatherBackward, oneHot',
    run: (g) => {
      const a = g.tensor(A.slice(0, 15), { shape: [3, 5] });
      const idx = [2, 0, 2, 1];
      close(
        a.gather(idx, 0).data(),
        idx.flatMap((k) => A.slice(k * 5, k * 5 + 5).map(Math.fround)),
        0,
      );
      close(a.gather(g.tensor([4, 4], { dtype: 'int32' }), 1).data(), [A[4]!, A[4]!, A[9]!, A[9]!, A[14]!, A[14]!].map(Math.fround), 0);
      const dy = g.ones([4, 5]);
      const dx = g.gatherBackward(dy, g.tensor(idx, { dtype: 'int32' }), 0, [3, 5]);
      close(dx.data(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2], 0);
      expect(g.oneHot([2, 0], 3).toArray()).toEqual([
        [0, 0, 1],
        [1, 0, 0],
      ]);
    },
  },
  {
    name: 'random: seeded, in range, a permutation, dropout values',
    run: (g) => {
      g.manualSeed(11);
      const first = Array.from(g.randn([9]).data());
      g.manualSeed(11);
      expect(Array.from(g.randn([9]).data())).toEqual(first);
      const u = g.rand([33], { low: -2, high: 3 }).data();
      for (const v of u) expect(v >= -2 && v < 3).toBe(true);
      const ri = g.randint(-3, 4, [40]).data();
      for (const v of ri) expect(Number.isInteger(v) && v >= -3 && v < 4).toBe(true);
      const perm = Array.from(g.randperm(17).data()).sort((x, y) => x - y);
      expect(perm).toEqual(Array.from({ length: 17 }, (_, k) => k));
      for (const v of g.dropoutMask([21], 0.5).data()) expect(v === 0 || v === 2).toBe(true);
    },
  },
  {
    name: 'casts',
    run: (g) => {
      const f = g.tensor([-2.7, -0.5, 0.5, 1.9, 3, 1e10, Number.NaN]);
      expect(Array.from(f.cast('int32').data())).toEqual([-2, 0, 0, 1, 3, 2147483647, 0]);
      close(g.tensor(I, { dtype: 'int32' }).cast('float32').data(), I, 0);
      expect(g.tensor(I, { dtype: 'int32' }).clone().toArray()).toEqual(I);
    },
  },
  {
    name: 'optimizer kernels and in-place updates',
    run: (g) => {
      const p0 = A.slice(0, 7).map(Math.fround);
      const g0 = A.slice(7, 14).map(Math.fround);
      const p = g.tensor(p0);
      const gr = g.tensor(g0);
      g.axpyInPlace(p, gr, -0.5);
      close(
        p.data(),
        p0.map((v, k) => v - 0.5 * g0[k]!),
      );
      expect(g.sumOfSquares(gr)).toBeCloseTo(
        g0.reduce((s, v) => s + v * v, 0),
        6,
      );
      const q = g.tensor(p0);
      const buf = g.zeros([7]);
      g.sgdUpdate(q, gr, buf, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: false, first: true });
      close(
        q.data(),
        p0.map((v, k) => v - 0.1 * (g0[k]! + 0.01 * v)),
      );
      const w = g.tensor(p0);
      const m = g.zeros([7]);
      const v = g.zeros([7]);
      g.adamUpdate(w, gr, m, v, g.zeros([7]), {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        decoupled: false,
        amsgrad: false,
        step: 1,
      });
      // at step 1 the bias-corrected Adam step is lr·g/(|g| + ε) = ±lr
      close(
        w.data(),
        p0.map((x, k) => x - 0.01 * Math.sign(g0[k]!)),
        1e-5,
      );
      const r = g.tensor(p0);
      g.rmspropUpdate(r, gr, g.zeros([7]), g.zeros([7]), g.zeros([7]), {
        lr: 0.01,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        centered: false,
      });
      close(
        r.data(),
        p0.map((x, k) => x - (0.01 * g0[k]!) / (Math.sqrt(0.01 * g0[k]! ** 2) + 1e-8)),
        1e-5,
      );
      const h = g.tensor(p0);
      g.adagradUpdate(h, gr, g.zeros([7]), { lr: 0.1, eps: 1e-10, weightDecay: 0 });
      close(
        h.data(),
        p0.map((x, k) => x - 0.1 * Math.sign(g0[k]!)),
        1e-5,
      );
      const c = g.zeros([7]);
      g.copyInto(c, gr);
      g.scaleInPlace(c, 2);
      g.clampInPlace(c, -3, 3);
      close(
        c.data(),
        g0.map((x) => Math.min(3, Math.max(-3, 2 * x))),
      );
    },
  },
];
