// Numbers at any size: float sums are blocked and pairwise (float32 keeps ~1e-7 relative error
// over tens of millions of elements, where one running sum per SIMD lane drifted by percents),
// int32 sums are exact or a ValueError (never a wrapped number), and the softmax family handles
// infinite entries as PyTorch does. References: float64 sums in plain JS, and values computed
// with PyTorch 1.13.
import { failsWith } from '@gd/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { softmaxBackward } from '../src/grad.js';
import * as g from '../src/index.js';

const fails = failsWith(g.memory, g.GdError);

beforeAll(async () => {
  await g.ready();
});

/** |a − e| ≤ tol·|e|, false on NaN. */
function relClose(actual: number, expected: number, tol: number, what = ''): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  expect(err <= tol, `${what} ${actual} vs ${expected}: relative error ${err}`).toBe(true);
}

/** Σ in float64 of the values as stored (their float32 rounding included). */
function sum64(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

/** A deterministic pseudo-random float32 array in [lo, hi). */
function pseudoRandom(n: number, lo: number, hi: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

const F32_EPS = 2 ** -24;

describe('float32 reductions at large sizes', () => {
  it('mean of 3·10⁷ copies of 0.1 keeps float32 precision (a running sum per lane gave 0.0963)', () => {
    const x = g.full([3e7], 0.1);
    const want = Math.fround(0.1);
    relClose(x.mean().item(), want, 1e-6, 'mean');
    relClose(x.sum().item(), want * 3e7, 1e-6, 'sum');
    x.dispose();
  });

  it('mean along axis 0 of [10⁷, 2] (a running sum per column gave 0.1088)', () => {
    const x = g.full([1e7, 2], 0.1);
    const m = x.mean(0);
    expect(m.shape).toEqual([2]);
    for (const v of m.data()) relClose(v, Math.fround(0.1), 1e-6, 'axis mean');
    const s = x.sum(0, true);
    expect(s.shape).toEqual([1, 2]);
    for (const v of s.data()) relClose(v, Math.fround(0.1) * 1e7, 1e-6, 'axis sum');
    for (const t of [x, m, s]) t.dispose();
  });

  it('2^24 + 2^22 ones down a column (a running sum stops at 2^24) and along a row sum exactly', () => {
    // float32 integers are exact up to 2^24: a running sum stops growing there, a pairwise one does not
    const n = 2 ** 24 + 2 ** 22;
    const row = g.ones([n]);
    expect(row.sum().item()).toBe(n);
    row.dispose();
    const col = g.ones([n, 2]);
    expect(Array.from(col.sum(0).data())).toEqual([n, n]);
    col.dispose();
  });

  it('the std of an MNIST-sized array [10000, 784] matches float64 to 1e-6', () => {
    // pixel-like values: most 0, some in (0, 1]
    const raw = pseudoRandom(10000 * 784, -2, 1, 7).map((v) => Math.max(0, v));
    let mean = 0;
    for (const v of raw) mean += v;
    mean /= raw.length;
    let ss = 0;
    for (const v of raw) ss += (v - mean) ** 2;
    const std = Math.sqrt(ss / raw.length);
    const got = g.scope(() => {
      const x = g.tensor(raw).reshape([10000, 784]);
      const m = x.mean();
      return x.sub(m).square().mean().sqrt().item();
    });
    relClose(got, std, 1e-6, 'std');
  });

  it('float32 and float64 sums of random data stay within a few ulps · log n of float64 (rows, axes, tails)', () => {
    for (const n of [1, 3, 15, 17, 511, 512, 513, 1000, 4099, 100_003, 1_000_001]) {
      const xs = pseudoRandom(n, -1, 3, n);
      const want = sum64(xs);
      let absSum = 0;
      for (const v of xs) absSum += Math.abs(v);
      const bound = 4 * Math.log2(n + 1) * F32_EPS * absSum + 1e-30;
      const got = g.scope(() => g.tensor(xs).sum().item());
      expect(Math.abs(got - want) <= bound, `n=${n}: ${got} vs ${want}`).toBe(true);
      const got64 = g.scope(() => g.tensor(Float64Array.from(xs), { dtype: 'float64' }).sum().item());
      expect(Math.abs(got64 - want) <= 1e-14 * absSum, `float64 n=${n}: ${got64} vs ${want}`).toBe(true);
    }
    // axis sums: short and long axes, narrow and wide rows (wider than one column tile of 512)
    for (const shape of [
      [5, 33, 3],
      [2, 1000, 7],
      [70, 1030],
      [3, 40, 600],
      [100_000, 3],
    ]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const xs = pseudoRandom(size, -1, 3, size);
      const [o, len, inner] = shape.length === 3 ? shape : [1, shape[0]!, shape[1]!];
      const got = g.scope(() =>
        g
          .tensor(xs)
          .reshape(shape)
          .sum(shape.length - 2)
          .data(),
      );
      for (let a = 0; a < o!; a++) {
        for (let c = 0; c < inner!; c++) {
          let want = 0;
          let abs = 0;
          for (let j = 0; j < len!; j++) {
            const v = xs[(a * len! + j) * inner! + c]!;
            want += v;
            abs += Math.abs(v);
          }
          const v = got[a * inner! + c]!;
          const bound = 4 * Math.log2(len! + 1) * F32_EPS * abs;
          expect(Math.abs(v - want) <= bound, `${shape} at [${a}, ${c}]: ${v} vs ${want}`).toBe(true);
        }
      }
    }
  });

  it('sums are bit-identical between runs, and a mean is the sum times 1/n', () => {
    const xs = pseudoRandom(1009 * 991, -5, 5, 3);
    g.scope(() => {
      const x = g.tensor(xs);
      const a = x.sum().data();
      const b = x.sum().data();
      expect(new Uint32Array(a.buffer)).toEqual(new Uint32Array(b.buffer));
      const y = x.reshape([1009, 991]);
      const c = y.sum(0).data();
      const d = y.sum(0).data();
      expect(new Uint32Array(c.buffer)).toEqual(new Uint32Array(d.buffer));
      expect(y.mean().item()).toBe(Math.fround(y.sum().item() * Math.fround(1 / y.size)));
    });
  });

  it('log-sum-exp, softmax and log-softmax over a row of 3·10⁶ match float64 (denominators pairwise)', () => {
    const n = 3_000_000;
    const xs = pseudoRandom(n, -3, 1, 11);
    let m = Number.NEGATIVE_INFINITY;
    for (const v of xs) m = Math.max(m, v);
    let s = 0;
    for (const v of xs) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    g.scope(() => {
      const x = g.tensor(xs);
      expect(Math.abs(x.logSumExp().item() - lse) <= 1e-6 * Math.abs(lse)).toBe(true);
      const ls = x.logSoftmax().data();
      const sm = x.softmax().data();
      for (const i of [0, 1, 12345, n - 1]) {
        expect(Math.abs(ls[i]! - (xs[i]! - lse)) <= 2e-6 * Math.abs(lse), `logSoftmax[${i}]`).toBe(true);
        relClose(sm[i]!, Math.exp(xs[i]! - lse), 2e-6, `softmax[${i}]`);
      }
      // Σ softmax = 1 in float64, and its float32 sum too
      relClose(sum64(sm), 1, 1e-5, 'Σ softmax');
      // the same along axis 0 of [10⁶, 2] (the strided path)
      const cols = x.slice([0], [2_000_000]).reshape([1_000_000, 2]);
      const lse0 = cols.logSumExp(0).data();
      for (let c = 0; c < 2; c++) {
        let mc = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < 1_000_000; j++) mc = Math.max(mc, xs[2 * j + c]!);
        let sc = 0;
        for (let j = 0; j < 1_000_000; j++) sc += Math.exp(xs[2 * j + c]! - mc);
        const want = mc + Math.log(sc);
        expect(Math.abs(lse0[c]! - want) <= 1e-6 * Math.abs(want), `column ${c}: ${lse0[c]} vs ${want}`).toBe(true);
      }
    });
  });

  it('the softmax backward sums are pairwise: dx = 0 over 10⁶ along a row and a column (running sums left 2e-4)', () => {
    g.scope(() => {
      const n = 1_000_000;
      // log-softmax of a constant row (each y = −log n) with dy = 0.1: dx = 0.1 − exp(y)·Σ dy = 0
      for (const shape of [[n], [n, 2]]) {
        const dx = softmaxBackward(g.full(shape, -Math.log(n)), g.full(shape, 0.1), 0, true).data();
        for (const i of [0, dx.length - 1]) expect(Math.abs(dx[i]!) <= 1e-6, `${shape} log-softmax dx[${i}] = ${dx[i]}`).toBe(true);
        // softmax y = 1/n each, dy = 0.1: dx = y·(0.1 − Σ dy·y) = 0
        const ds = softmaxBackward(g.full(shape, 1 / n), g.full(shape, 0.1), 0, false).data();
        for (const i of [0, ds.length - 1]) expect(Math.abs(ds[i]!) <= 1e-12, `${shape} softmax dx[${i}] = ${ds[i]}`).toBe(true);
      }
    });
  });

  it('sumOfSquares of 10⁷ float32 values matches float64 (accumulated in float64, blocked)', () => {
    const xs = pseudoRandom(1e7, -1, 1, 5);
    let want = 0;
    for (const v of xs) want += v * v;
    const x = g.tensor(xs);
    relClose(g.sumOfSquares(x), want, 1e-12, 'sumOfSquares');
    x.dispose();
  });
});

describe('int32 sums are exact or a ValueError, never wrapped', () => {
  const int = (xs: number[] | number[][] | number[][][]) => g.tensor(xs, { dtype: 'int32' });

  it('10,000 × 300,000 does not fit int32: a ValueError naming the sum (it wrapped to −1,294,967,296)', () => {
    const x = g.full([10_000], 300_000, 'int32');
    fails(() => x.sum(), g.ValueError, /sum: the int32 sum of \[10000\] at output index 0 is 3000000000, outside int32's range/);
    // and exact in float64, as the message says
    expect(g.scope(() => x.cast('float64').sum().item())).toBe(3e9);
    x.dispose();
  });

  it('sums that fit are exact and stay int32, even where a partial sum leaves int32', () => {
    const max = 2147483647;
    g.scope(() => {
      const s = int([max, max, -max, -5]).sum();
      expect(s.dtype).toBe('int32');
      expect(s.item()).toBe(max - 5);
      expect(int([-max, -max, max, -1]).sum().item()).toBe(-max - 1);
      // rows and columns; the second row's sum overflows, reported at its output index
      expect(
        Array.from(
          int([
            [max, 1, -2],
            [3, 4, 5],
          ])
            .sum(1)
            .data(),
        ),
      ).toEqual([max - 1, 12]);
      expect(
        Array.from(
          int([
            [max, 1],
            [-3, -4],
          ])
            .sum(0)
            .data(),
        ),
      ).toEqual([max - 3, -3]);
      // the long-row and wide-column paths: 1000 × 1030 of 2,000,000 (column sums 2·10⁹ fit)
      const wide = g.full([1000, 1030], 2_000_000, 'int32');
      const cols = wide.sum(0).data();
      expect(cols.length).toBe(1030);
      expect(cols.every((v) => v === 2e9)).toBe(true);
      // several axes at once are one exact sum: [max, max] then [−max, −max] fits, though a run would not
      expect(
        int([[[max, max]], [[-max, -max + 1]]])
          .sum([0, 2])
          .item(),
      ).toBe(1);
      expect(int([[[max, max]], [[-max, -max + 1]]]).sum([0, 2], true).shape).toEqual([1, 1, 1]);
    });
  });

  it('a recorded int32 sum checks its range on every replay', () => {
    const x = int([
      [1, 2],
      [3, 4],
    ]);
    const rec = g.record(() => g.keep(x.sum(0)));
    expect(Array.from(rec.result.data())).toEqual([4, 6]);
    g.scope(() => g.copyInto(x, g.tensor([2147483647, 5, 1, 6], { dtype: 'int32' }).reshape([2, 2])));
    expect(() => rec.replay()).toThrow(/sum: the int32 sum of \[2,2\] at output index 0 is 2147483648/);
    g.scope(() => g.copyInto(x, g.tensor([10, 5, 1, 6], { dtype: 'int32' }).reshape([2, 2])));
    rec.replay();
    expect(Array.from(rec.result.data())).toEqual([11, 11]);
    rec.result.dispose();
    x.dispose();
  });

  it('int32 sums over any set of axes, with keepDims, equal the exact sums of a plain-JS reference', () => {
    let seed = 17;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (let trial = 0; trial < 60; trial++) {
      const shape = Array.from({ length: 1 + next(4) }, () => 1 + next(5));
      const size = shape.reduce((a, b) => a * b, 1);
      // large magnitudes, so partial sums leave int32 while most totals stay inside
      const xs = Array.from({ length: size }, () => next(2 ** 31) - 2 ** 30);
      const axes = shape.map((_, i) => i).filter(() => next(2) === 1);
      if (axes.length === 0) axes.push(next(shape.length));
      const keep = next(2) === 1;
      // the reference: each output index sums the inputs that agree with it off the summed axes
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const want = new Array<number>(outShape.reduce((a, b) => a * b, 1)).fill(0);
      for (let flat = 0; flat < size; flat++) {
        let rest = flat;
        let o = 0;
        let stride = 1;
        for (let d = shape.length - 1; d >= 0; d--) {
          const at = rest % shape[d]!;
          rest = Math.floor(rest / shape[d]!);
          if (!axes.includes(d)) o += at * stride;
          stride *= outShape[d]!;
        }
        want[o] = want[o]! + xs[flat]!;
      }
      const fits = want.every((v) => v >= -(2 ** 31) && v < 2 ** 31);
      g.scope(() => {
        const x = g.tensor(xs, { dtype: 'int32' }).reshape(shape);
        if (!fits) {
          expect(() => x.sum(axes, keep), `${shape} over ${axes}`).toThrow(g.ValueError);
          return;
        }
        const got = x.sum(axes, keep);
        expect(got.dtype).toBe('int32');
        expect([...got.shape]).toEqual(keep ? outShape : shape.filter((_, i) => !axes.includes(i)));
        expect(Array.from(got.data()), `${shape} over ${axes}`).toEqual(want);
      });
    }
  });

  it('a sum outside int32 anywhere is a ValueError that names the output index, below or above the range', () => {
    const max = 2147483647;
    const a = int([
      [1, 2],
      [max, 1],
    ]);
    const b = int([
      [0, -max],
      [0, -max],
    ]);
    const c = int([
      [[max], [1]],
      [[0], [0]],
    ]);
    // the wide-column path: column 700 of 1030 overflows
    const x = g.scope(() => {
      const wide = g.zeros([3, 1030], 'int32');
      const col = g.full([3, 1], max, 'int32');
      return g.concat([wide.slice([0, 0], [3, 700]), col, wide.slice([0, 701], [3, 329])], 1);
    });
    fails(() => a.sum(1), g.ValueError, /sum: the int32 sum of \[2,2\] at output index 1 is 2147483648,/);
    fails(() => b.sum(0), g.ValueError, /at output index 1 is -4294967294,/);
    fails(() => c.sum([0, 1]), g.ValueError, /output index 0 is 2147483648/);
    fails(() => x.sum(0), g.ValueError, /output index 700 is 6442450941,/);
    fails(() => x.sum(), g.ValueError, /output index 0 is 6442450941,/);
    for (const t of [a, b, c, x]) t.dispose();
  });
});

describe('the softmax family with infinite entries, as PyTorch', () => {
  const inf = Number.POSITIVE_INFINITY;

  it('logSumExp: +∞ gives +∞ (it gave NaN), an all −∞ row −∞, −∞ entries drop out', () => {
    g.scope(() => {
      for (const [row, want] of [
        [[inf, 1], inf],
        [[inf, -inf], inf],
        [[inf, inf], inf],
        [[-inf, -inf], -inf],
        [[-inf, -inf, -inf], -inf],
        [[-inf, 1, 0.5], 1.4740769863128662],
        [[1, 2, -inf], 2.3132617473602295],
      ] as Array<[number[], number]>) {
        const got = g.logSumExp(row).item();
        if (Number.isFinite(want)) relClose(got, want, 1e-6, `logSumExp(${row})`);
        else expect(got, `logSumExp(${row})`).toBe(want);
        // float64 (against the sum in float64 here), and along axis 0 (the strided path)
        const got64 = g.logSumExp(g.tensor(row, { dtype: 'float64' })).item();
        const want64 = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        if (Number.isFinite(want)) relClose(got64, want64, 1e-15, `float64 logSumExp(${row})`);
        else expect(got64).toBe(want);
        const col = g.logSumExp(g.tensor(row).reshape([row.length, 1]), 0).item();
        if (Number.isFinite(want)) relClose(col, want, 1e-6, `column logSumExp(${row})`);
        else expect(col).toBe(want);
      }
    });
  });

  it('softmax and logSoftmax: −∞ entries give 0 and −∞, an all −∞ row or a +∞ entry NaN', () => {
    g.scope(() => {
      const cases: Array<[number[], number[], number[]]> = [
        [
          [-inf, 1, 0.5],
          [0, 0.622459352016449, 0.3775406777858734],
          [-inf, -0.4740769863128662, -0.9740769863128662],
        ],
        [
          [1, 2, -inf],
          [0.2689414322376251, 0.7310585975646973, 0],
          [-1.31326162815094, -0.31326165795326233, -inf],
        ],
        [
          [-inf, -inf],
          [Number.NaN, Number.NaN],
          [Number.NaN, Number.NaN],
        ],
        [
          [inf, 1],
          [Number.NaN, Number.NaN],
          [Number.NaN, Number.NaN],
        ],
      ];
      for (const [row, sm, lsm] of cases) {
        for (const dtype of ['float32', 'float64'] as const) {
          for (const [name, got, want] of [
            ['softmax', g.softmax(g.tensor(row, { dtype })).data(), sm],
            ['logSoftmax', g.logSoftmax(g.tensor(row, { dtype })).data(), lsm],
            ['softmax axis 0', g.softmax(g.tensor(row, { dtype }).reshape([row.length, 1]), 0).data(), sm],
            ['logSoftmax axis 0', g.logSoftmax(g.tensor(row, { dtype }).reshape([row.length, 1]), 0).data(), lsm],
          ] as const) {
            for (let i = 0; i < want.length; i++) {
              const w = want[i]!;
              const a = got[i]!;
              if (Number.isNaN(w)) expect(a, `${dtype} ${name}(${row})[${i}]`).toBeNaN();
              else if (!Number.isFinite(w) || w === 0) expect(a, `${dtype} ${name}(${row})[${i}]`).toBe(w);
              else relClose(a, w, 1e-6, `${dtype} ${name}(${row})[${i}]`);
            }
          }
        }
      }
    });
  });
});
