// The ops sequence models need: triangles and masks, sin/cos/erf and both GELU forms, variance,
// split/chunk, cumsum, topk, multinomial, transpose(dim0, dim1)/permute, and negative axes.
// Values are checked against PyTorch 1.13 (test/fixtures/seqops-torch.json, made by the script
// beside it), against plain JS, and by identities.
import { readFileSync } from 'node:fs';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { geluBackward } from '../src/grad.js';
import {
  arange,
  chunk,
  concat,
  cos,
  cumsum,
  DTypeError,
  erf,
  GdError,
  gelu,
  IndexError,
  manualSeed,
  maskedFill,
  memory,
  multinomial,
  ones,
  permute,
  randint,
  randn,
  ShapeError,
  scope,
  sin,
  split,
  stack,
  std,
  type Tensor,
  tensor,
  topk,
  transpose,
  tril,
  triu,
  ValueError,
  variance,
  zeros,
} from '../src/index.js';
import { close } from './families.js';
import * as R from './reference.js';

/** test/fixtures/seqops-torch.json: inputs and PyTorch's outputs (see the .py beside it). */
interface TorchFixture {
  x: number[];
  erf: number[];
  trig: number[];
  sin: number[];
  cos: number[];
  gelu: number[];
  geluGrad: number[];
  geluTanh: number[];
  geluTanhGrad: number[];
  gelu32: number[];
  m: number[];
  mShape: number[];
  var1: number[];
  var0All: number;
  stdNeg: number[];
  cumsum1: number[];
  cumsumLast: number[];
}
const torch = JSON.parse(readFileSync(new URL('./fixtures/seqops-torch.json', import.meta.url), 'utf8')) as TorchFixture;
const T64 = { dtype: 'float64' } as const;
const fails = failsWith(memory, GdError);
const f64 = (t: Tensor) => Array.from(t.data());

/** Max relative error (relative to max(|expected|, tiny)); NaN if any pair is NaN or lengths differ. */
function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-300): number {
  if (actual.length !== expected.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (a === e) continue;
    worst = Math.max(worst, Math.abs(a - e) / Math.max(Math.abs(e), floor));
  }
  return worst;
}

function expectRel(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, floor?: number): void {
  const err = relErr(actual, expected, floor);
  expect(err <= tol, `relative error ${err} > ${tol}`).toBe(true);
}

describe('sin, cos, erf', () => {
  it('erf matches PyTorch to float64 rounding (≤ 1e-15 relative) across every interval of the approximation', () => {
    scope(() => expectRel(f64(erf(tensor(torch.x, T64))), torch.erf, 1e-15));
  });

  it('erf matches an independent series / continued-fraction evaluation', () => {
    scope(() => {
      const xs = Array.from({ length: 601 }, (_, i) => -6 + i / 50);
      expectRel(f64(erf(tensor(xs, T64))), xs.map(R.erf), 2e-15);
    });
  });

  it('erf identities: odd, limits, NaN, and float32 as the rounded float64 value', () => {
    scope(() => {
      const xs = [0.3, 1.1, 2.2, 4.4];
      const pos = f64(erf(tensor(xs, T64)));
      const neg = f64(
        erf(
          tensor(
            xs.map((v) => -v),
            T64,
          ),
        ),
      );
      expect(neg).toEqual(pos.map((v) => -v));
      expect(f64(erf(tensor([Infinity, -Infinity, 40, -40, Number.NaN], T64))).slice(0, 4)).toEqual([1, -1, 1, -1]);
      expect(f64(erf(tensor([Number.NaN], T64)))[0]).toBeNaN();
      const x32 = tensor(torch.x);
      const want = f64(erf(x32.cast('float64'))).map(Math.fround);
      expect(Array.from(erf(x32).data())).toEqual(want);
    });
  });

  it('sin and cos match PyTorch in float64, large arguments included, and sin² + cos² = 1', () => {
    scope(() => {
      const t = tensor(torch.trig, T64);
      close(f64(sin(t)), torch.sin, 1e-15);
      close(f64(cos(t)), torch.cos, 1e-15);
      const s = sin(t);
      const c = cos(t);
      const one = f64(s.square().add(c.square()));
      expect(Math.max(...one.map((v) => Math.abs(v - 1))) <= 4e-16).toBe(true);
      // float32 against the float64 value
      close(
        Array.from(sin(tensor([0.5, -2, 3.5, 100])).data()),
        [0.5, -2, 3.5, 100].map((v) => Math.sin(Math.fround(v))),
        1e-6,
      );
    });
  });
});

describe('gelu', () => {
  it('is exact by default (PyTorch nn.GELU()), and the tanh form on request, values and gradients', () => {
    scope(() => {
      const x = tensor(torch.x, T64);
      close(f64(gelu(x)), torch.gelu, 1e-15);
      close(f64(gelu(x, { approximate: 'none' })), torch.gelu, 1e-15);
      close(f64(gelu(x, { approximate: 'tanh' })), torch.geluTanh, 1e-15);
      close(f64(x.gelu({ approximate: 'tanh' })), torch.geluTanh, 1e-15);
      const ones64 = ones([torch.x.length], T64);
      close(f64(geluBackward(ones64, x)), torch.geluGrad, 1e-14);
      close(f64(geluBackward(ones64, x, { approximate: 'tanh' })), torch.geluTanhGrad, 1e-14);
      // float32 against PyTorch's float32 GELU
      close(Array.from(gelu(tensor(torch.x)).data()), torch.gelu32, 1e-6);
    });
  });

  it('the two forms differ where PyTorch says they do (a silent mismatch if mixed up)', () => {
    scope(() => {
      const d = gelu(tensor([1.5], T64)).sub(gelu(tensor([1.5], T64), { approximate: 'tanh' }));
      expect(Math.abs(d.item()) > 1e-4).toBe(true);
    });
  });

  it('keeps x·Φ(x) accurate in the far left tail, where 1 + erf(x/√2) cancels', () => {
    scope(() => {
      const xs = [-8, -10, -20];
      expectRel(f64(gelu(tensor(xs, T64))), xs.map(R.gelu), 1e-13);
      expect(f64(gelu(tensor([-10], T64)))[0]! < 0).toBe(true);
    });
  });

  it('gradient matches central finite differences', () => {
    scope(() => {
      const xs = [-3, -1.3, -0.2, 0, 0.7, 2.4];
      for (const approximate of ['none', 'tanh'] as const) {
        const h = 1e-6;
        const fd = xs.map(
          (v) => (gelu(tensor([v + h], T64), { approximate }).item() - gelu(tensor([v - h], T64), { approximate }).item()) / (2 * h),
        );
        close(f64(geluBackward(ones([6], T64), tensor(xs, T64), { approximate })), fd, 1e-8);
      }
    });
  });

  it('rejects an unknown form', () => {
    fails(() => gelu([1], { approximate: 'erf' as 'tanh' }), ValueError, /gelu: approximate must be 'none' or 'tanh', got "erf"/);
    fails(() => geluBackward([1], [1], 'tanh' as never), ValueError, /geluBackward: options must be an object/);
  });
});

describe('tril, triu', () => {
  const triRef = (rows: number, cols: number, k: number, upper: boolean, v: (i: number, j: number) => number) =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => ((upper ? j - i >= k : j - i <= k) ? v(i, j) : 0)));

  it('keep one side of diagonal k of every matrix in the batch, for every k and dtype', () => {
    scope(() => {
      const [B, M, N] = [2, 3, 5];
      const data = Array.from({ length: B * M * N }, (_, i) => i + 1);
      for (const dtype of ['float32', 'float64', 'int32'] as const) {
        const x = tensor(data, { dtype, shape: [B, M, N] });
        for (const k of [-4, -3, -1, 0, 1, 2, 4, 5, 9, -9]) {
          for (const upper of [false, true]) {
            const got = upper ? triu(x, k) : tril(x, k);
            expect(got.dtype).toBe(dtype);
            const want = Array.from({ length: B }, (_, b) => triRef(M, N, k, upper, (i, j) => data[b * M * N + i * N + j]!));
            expect(got.toArray()).toEqual(want);
          }
        }
      }
    });
  });

  it('tril + triu(k + 1) = x, and the causal mask of attention', () => {
    scope(() => {
      manualSeed(3);
      const x = randn([4, 6, 7]);
      for (const k of [-2, 0, 3])
        expect(
          Array.from(
            tril(x, k)
              .add(triu(x, k + 1))
              .data(),
          ),
        ).toEqual(Array.from(x.data()));
      expect(x.tril().toArray()).toEqual(tril(x, 0).toArray());
      expect(triu(ones([3, 3]), 1).toArray()).toEqual([
        [0, 1, 1],
        [0, 0, 1],
        [0, 0, 0],
      ]);
    });
  });

  it('typed errors', () => {
    const m = ones([2, 2]);
    fails(() => tril([1, 2]), ShapeError, /tril: needs rank ≥ 2 \(matrices in the last two axes\), got \[2\]/);
    fails(() => triu(m, 0.5), ValueError, /triu: diagonal k must be an integer, got 0.5/);
  });
});

describe('maskedFill', () => {
  it('fills where the mask is nonzero, the mask broadcasting to x (PyTorch masked_fill)', () => {
    scope(() => {
      const x = tensor([
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [
          [7, 8, 9],
          [10, 11, 12],
        ],
      ]);
      const mask = tensor([[0, 1, 0]], { dtype: 'int32' });
      expect(maskedFill(x, mask, -1).toArray()).toEqual([
        [
          [1, -1, 3],
          [4, -1, 6],
        ],
        [
          [7, -1, 9],
          [10, -1, 12],
        ],
      ]);
      // a float mask: nonzero (NaN included) fills
      expect(x.maskedFill([[1, 0, 0.5]], 0).toArray()).toEqual([
        [
          [0, 2, 0],
          [0, 5, 0],
        ],
        [
          [0, 8, 0],
          [0, 11, 0],
        ],
      ]);
      const scores = zeros([3, 3], T64);
      const masked = scores.maskedFill(triu(ones([3, 3]), 1), Number.NEGATIVE_INFINITY);
      expect(masked.dtype).toBe('float64');
      expect(masked.softmax(-1).toArray()).toEqual([
        [1, 0, 0],
        [0.5, 0.5, 0],
        [1 / 3, 1 / 3, 1 / 3],
      ]);
      expect(maskedFill(tensor([1, 2], { dtype: 'int32' }), [1, 0], 7).toArray()).toEqual([7, 2]);
    });
  });

  it('typed errors', () => {
    const x = zeros([2, 3]);
    const big = zeros([4, 2, 3]);
    const small = zeros([2, 2]);
    const int = tensor([1], { dtype: 'int32' });
    fails(() => maskedFill(x, big, 1), ShapeError, /maskedFill: mask \[4,2,3\] cannot broadcast to the tensor's shape \[2,3\]/);
    fails(() => maskedFill(x, small, 1), ShapeError, /maskedFill: shapes \[2,2\] and \[2,3\] cannot broadcast/);
    fails(() => maskedFill(int, [1], 0.5), ValueError, /maskedFill: value 0.5 does not fit the int32 tensor \[1\]/);
    fails(() => maskedFill(x, [1, 0, 1], '1' as unknown as number), ValueError, /maskedFill: value must be a number, got string/);
  });
});

describe('variance, std', () => {
  it('match PyTorch, with correction, keepDims, several and negative axes, on data with a large mean', () => {
    scope(() => {
      const m = tensor(torch.m, { dtype: 'float64', shape: torch.mShape });
      close(f64(variance(m, 1)), torch.var1, 1e-12);
      close(f64(m.var(1)), torch.var1, 1e-12);
      close([variance(m, undefined, { correction: 0 }).item()], [torch.var0All], 1e-12);
      const s = std(m, [-1, 0], { keepDims: true });
      expect(s.shape).toEqual([1, 5, 1]);
      close(f64(s), torch.stdNeg, 1e-12);
      close(f64(m.std([-1, 0], { keepDims: true })), torch.stdNeg, 1e-12);
      // float32 keeps the large mean from cancelling too (two passes)
      const m32 = m.cast('float32');
      close(Array.from(variance(m32, 1).data()), torch.var1, 1e-3);
    });
  });

  it('hand-computed values; one element with correction 1 is NaN, as in PyTorch', () => {
    scope(() => {
      close([variance([1, 2, 3, 4]).item()], [5 / 3], 1e-7);
      expect(std([2, 4, 4, 4, 5, 5, 7, 9], 0, { correction: 0 }).item()).toBe(2);
      expect(variance([5]).item()).toBeNaN();
      expect(variance(tensor([[1, 3]], { dtype: 'int32' }), -1).toArray()).toEqual([2]);
    });
  });

  it('typed errors', () => {
    fails(() => variance([1, 2], 0, { correction: -1 }), ValueError, /variance: correction must be a non-negative number, got -1/);
    fails(() => std([1, 2], 2), IndexError, /std: axis 2 is out of range for rank 1/);
  });
});

describe('split, chunk', () => {
  it('split by a size (shorter last piece) or by sizes, along any axis', () => {
    scope(() => {
      expect(split(arange(5), 2).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
      const x = arange(12).reshape([2, 6]);
      const parts = x.split([1, 0, 5], -1);
      expect(parts.map((p) => p.shape)).toEqual([
        [2, 1],
        [2, 0],
        [2, 5],
      ]);
      expect(parts[2]!.toArray()).toEqual([
        [1, 2, 3, 4, 5],
        [7, 8, 9, 10, 11],
      ]);
      expect(split(x, 1, 0).map((p) => p.toArray())).toEqual([[[0, 1, 2, 3, 4, 5]], [[6, 7, 8, 9, 10, 11]]]);
    });
  });

  it('chunk as PyTorch: ⌈len/n⌉ per piece, fewer pieces when the axis is short', () => {
    scope(() => {
      expect(chunk(arange(6), 3).map((p) => p.toArray())).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect(chunk(arange(5), 3).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
      // torch.arange(6).chunk(4) has 3 pieces of 2
      expect(chunk(arange(6), 4).map((p) => p.size)).toEqual([2, 2, 2]);
      // the head split of attention: q, k, v from one projection
      const qkv = arange(2 * 3 * 12).reshape([2, 3, 12]);
      const [q, k, v] = qkv.chunk(3, -1);
      expect(q!.shape).toEqual([2, 3, 4]);
      expect(k!.toArray()).toEqual(qkv.slice([0, 0, 4], [-1, -1, 4]).toArray());
      expect(v!.toArray()).toEqual(qkv.slice([0, 0, 8]).toArray());
    });
  });

  it('typed errors, and nothing leaks', () => {
    const r = arange(5);
    fails(() => split(r, [2, 2]), ShapeError, /split: sizes \[2,2\] sum to 4, but axis 0 of \[5\] has length 5/);
    fails(() => split(r, 0), ValueError, /split: size must be a positive integer, got 0/);
    fails(() => split(r, [-1, 6]), ValueError, /split: sizes \[-1,6\] must be non-negative integers/);
    fails(() => chunk(r, 0), ValueError, /chunk: n must be a positive integer, got 0/);
    fails(() => chunk(r, 2, 1), IndexError, /chunk: axis 1 is out of range for rank 1/);
  });
});

describe('cumsum', () => {
  it('matches PyTorch along each axis, negative ones included', () => {
    scope(() => {
      const m = tensor(torch.m, { dtype: 'float64', shape: torch.mShape });
      close(f64(cumsum(m, 1)), torch.cumsum1, 1e-15);
      close(f64(m.cumsum(-1)), torch.cumsumLast, 1e-15);
    });
  });

  it('hand-computed values for every dtype; the last entry is the sum', () => {
    scope(() => {
      expect(cumsum(tensor([1, 2, 3, 4], { dtype: 'int32' }), 0).toArray()).toEqual([1, 3, 6, 10]);
      expect(cumsum(tensor([[1, 2, 3, 4, 5]]), 1).toArray()).toEqual([[1, 3, 6, 10, 15]]);
      expect(
        cumsum(
          tensor([
            [1, 2, 3, 4, 5],
            [1, 1, 1, 1, 1],
          ]),
          0,
        ).toArray(),
      ).toEqual([
        [1, 2, 3, 4, 5],
        [2, 3, 4, 5, 6],
      ]);
      manualSeed(1);
      const x = randn([3, 40], T64);
      const c = cumsum(x, 1);
      close(f64(c.slice([0, 39], [-1, 1]).reshape([3])), f64(x.sum(1)), 1e-13);
    });
  });
});

describe('cumsum of int32', () => {
  it('is exact up to the ends of int32, and a running sum beyond them is a ValueError', () => {
    scope(() => {
      const big = tensor([2147483000, 647, -2147483647, -2147483647], { dtype: 'int32' });
      expect(cumsum(big, 0).toArray()).toEqual([2147483000, 2147483647, 0, -2147483647]);
      expect(cumsum(big, 0).dtype).toBe('int32');
    });
    const over = tensor([2147483647, 1, -5], { dtype: 'int32' });
    fails(
      () => cumsum(over, 0),
      ValueError,
      /cumsum: the int32 running sum of \[3\] at index 1 is 2147483648, outside int32's range \[-2147483648, 2147483647\]; cast to float64/,
    );
  });
});

describe('topk', () => {
  /** Plain-JS top-k of one row: stable sort by value (NaN largest), ties by index. */
  function topkRef(row: number[], k: number, largest: boolean): { v: number[]; i: number[] } {
    const key = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);
    const order = row.map((_, i) => i);
    order.sort((a, b) => {
      const ka = key(row[a]!);
      const kb = key(row[b]!);
      const nanA = Number.isNaN(row[a]!);
      const nanB = Number.isNaN(row[b]!);
      if (ka === kb && nanA !== nanB) return largest ? (nanA ? -1 : 1) : nanA ? 1 : -1;
      if (ka !== kb) return largest ? kb - ka : ka - kb;
      return a - b;
    });
    const top = order.slice(0, k);
    return { v: top.map((i) => row[i]!), i: top };
  }

  it('values and indices against a sorted plain-JS reference, every axis and both directions', () => {
    scope(() => {
      manualSeed(5);
      const x = randint(0, 6, [3, 7, 4]).cast('float32'); // many ties
      const data = Array.from(x.data());
      for (const axis of [0, 1, 2, -1, -2]) {
        const ax = (axis + 3) % 3;
        for (const largest of [true, false]) {
          const k = Math.min(3, x.shape[ax]!);
          const { values, indices } = topk(x, k, { axis, largest });
          expect(indices.dtype).toBe('int32');
          const shape = [...x.shape];
          shape[ax] = k;
          expect(values.shape).toEqual(shape);
          const vs = Array.from(values.data());
          const is = Array.from(indices.data());
          const st = R.strides(x.shape);
          const so = R.strides(shape);
          // every line along ax
          for (let flat = 0; flat < x.size; flat++) {
            const idx = R.unravel(flat, x.shape);
            if (idx[ax] !== 0) continue;
            const row = Array.from({ length: x.shape[ax]! }, (_, j) => data[flat + j * st[ax]!]!);
            const want = topkRef(row, k, largest);
            const base = idx.reduce((acc, v, d) => acc + v * so[d]!, 0);
            expect(Array.from({ length: k }, (_, j) => vs[base + j * so[ax]!])).toEqual(want.v);
            expect(Array.from({ length: k }, (_, j) => is[base + j * so[ax]!])).toEqual(want.i);
          }
        }
      }
    });
  });

  it('ties keep the lower index first; NaN ranks largest; float64 and int32 too', () => {
    scope(() => {
      const t = topk(tensor([1, 3, 2, 3, 3]), 3);
      expect(t.values.toArray()).toEqual([3, 3, 3]);
      expect(t.indices.toArray()).toEqual([1, 3, 4]);
      const s = topk(tensor([2, 1, 1, 5]), 2, { largest: false });
      expect(s.indices.toArray()).toEqual([1, 2]);
      const n = topk(tensor([1, Number.NaN, 4], T64), 2);
      expect(n.indices.toArray()).toEqual([1, 2]);
      expect(topk(tensor([1, Number.NaN, 4]), 2, { largest: false }).indices.toArray()).toEqual([0, 2]);
      const i = topk(tensor([[4, -2, 9, 9]], { dtype: 'int32' }), 4, 1);
      expect(i.values.dtype).toBe('int32');
      expect(i.values.toArray()).toEqual([[9, 9, 4, -2]]);
      expect(i.indices.toArray()).toEqual([[2, 3, 0, 1]]);
      expect(topk(tensor([[1, 2]]), 0).values.shape).toEqual([1, 0]);
      const m = tensor([3, 1, 2]).topk(3);
      expect(m.values.toArray()).toEqual([3, 2, 1]);
    });
  });

  it('typed errors', () => {
    fails(() => topk([1, 2], 3), ValueError, /topk: k must be an integer in 0..2 \(axis 0 of \[2\]\), got 3/);
    fails(() => topk(1, 1), ShapeError, /topk: needs rank ≥ 1, got a scalar/);
    fails(() => topk([1, 2], 1, { axis: 1 }), IndexError, /topk: axis 1 is out of range for rank 1/);
    fails(() => topk([1, 2], 1, { largest: 'yes' as never }), ValueError, /topk: largest must be a boolean, got yes/);
  });
});

describe('multinomial', () => {
  it('draws in proportion to unnormalised weights (a chi-square bound with a fixed seed)', () => {
    scope(() => {
      manualSeed(2024);
      const w = [1, 2, 3, 4, 0, 10];
      const n = 20_000;
      const draws = Array.from(multinomial(tensor(w), n, { replacement: true }).data());
      const counts = w.map((_, c) => draws.filter((d) => d === c).length);
      expect(counts[4]).toBe(0);
      const total = w.reduce((a, b) => a + b, 0);
      let chi2 = 0;
      for (const [c, wc] of w.entries()) {
        if (wc === 0) continue;
        const expected = (n * wc) / total;
        chi2 += (counts[c]! - expected) ** 2 / expected;
      }
      // 5 degrees of freedom: P(χ² > 20.5) ≈ 0.001
      expect(chi2 < 20.5, `chi² ${chi2}`).toBe(true);
    });
  });

  it('without replacement: distinct ids per row, zero weights never drawn, first draws follow the weights', () => {
    scope(() => {
      manualSeed(7);
      const rows = 2000;
      const w = [5, 0, 1, 3, 1];
      const probs = tensor(
        Array.from({ length: rows }, () => w),
        T64,
      );
      const out = multinomial(probs, 4);
      expect(out.shape).toEqual([rows, 4]);
      expect(out.dtype).toBe('int32');
      const data = Array.from(out.data());
      const firsts = [0, 0, 0, 0, 0];
      for (let r = 0; r < rows; r++) {
        const row = data.slice(r * 4, r * 4 + 4);
        expect(new Set(row).size).toBe(4);
        expect(row.includes(1)).toBe(false);
        firsts[row[0]!]!++;
      }
      let chi2 = 0;
      for (const [c, wc] of w.entries()) {
        if (wc === 0) continue;
        const expected = (rows * wc) / 10;
        chi2 += (firsts[c]! - expected) ** 2 / expected;
      }
      // 3 degrees of freedom: P(χ² > 16.3) ≈ 0.001
      expect(chi2 < 16.3, `chi² ${chi2}`).toBe(true);
      // the second draw, given the first was category 0, follows the remaining weights 1:3:1
      const seconds = [0, 0, 0, 0, 0];
      let given = 0;
      for (let r = 0; r < rows; r++) {
        if (data[r * 4] !== 0) continue;
        given++;
        seconds[data[r * 4 + 1]!]!++;
      }
      expect(Math.abs(seconds[3]! / given - 0.6) < 0.06).toBe(true);
    });
  });

  it('the same seed gives the same draws, bit for bit; a different one does not', () => {
    scope(() => {
      const w = tensor([
        [0.1, 0.2, 0.7],
        [3, 3, 3],
      ]);
      manualSeed(11);
      const a = Array.from(multinomial(w, 50, { replacement: true }).data());
      const a2 = Array.from(multinomial(w, 3).data());
      manualSeed(11);
      expect(Array.from(multinomial(w, 50, { replacement: true }).data())).toEqual(a);
      expect(Array.from(multinomial(w, 3).data())).toEqual(a2);
      manualSeed(12);
      expect(Array.from(multinomial(w, 50, { replacement: true }).data())).not.toEqual(a);
    });
  });

  it('typed errors', () => {
    fails(() => multinomial([[1, -1]], 1), ValueError, /multinomial: weight -1 at row 0, category 1 of \[1,2\]; expected finite and ≥ 0/);
    fails(() => multinomial([1, Number.NaN], 1), ValueError, /multinomial: weight NaN at row 0, category 1/);
    fails(
      () =>
        multinomial(
          [
            [1, 1],
            [0, 0],
          ],
          1,
        ),
      ValueError,
      /multinomial: row 1 of \[2,2\] has only zero weights/,
    );
    fails(() => multinomial([1, 1], 3), ValueError, /multinomial: cannot draw 3 distinct categories from rows of 2 without replacement/);
    fails(() => multinomial([1, 0, 1], 3), ValueError, /multinomial: row 0 of \[3\] has 2 nonzero weights; cannot draw 3 distinct/);
    const int = tensor([1], { dtype: 'int32' });
    fails(() => multinomial(int, 1), DTypeError, /multinomial: weights must be float32 or float64, got int32/);
    fails(() => multinomial([1, 1], 1.5), ValueError, /multinomial: n must be a non-negative integer, got 1.5/);
  });
});

describe('transpose(dim0, dim1), permute, negative axes', () => {
  it('transpose swaps two axes; the array and no-argument forms still work', () => {
    scope(() => {
      const x = arange(24).reshape([2, 3, 4]);
      const t = x.transpose(-2, -1);
      expect(t.shape).toEqual([2, 4, 3]);
      expect(t.toArray()).toEqual(x.transpose([0, 2, 1]).toArray());
      expect(transpose(x, 0, 2).toArray()).toEqual(x.transpose([2, 1, 0]).toArray());
      expect(transpose(x, 1, 1).toArray()).toEqual(x.toArray());
      expect(x.transpose().shape).toEqual([4, 3, 2]);
      const at = (a: Tensor, i: number[]) => R.at({ shape: [...a.shape], data: Array.from(a.data()) }, i);
      expect(at(t, [1, 3, 2])).toBe(at(x, [1, 2, 3]));
    });
  });

  it('permute, the head split of attention [B,T,H·D] → [B,H,T,D]', () => {
    scope(() => {
      const [B, T, H, D] = [2, 3, 4, 5];
      const x = arange(B * T * H * D).reshape([B, T, H * D]);
      const heads = x.reshape([B, T, H, D]).permute([0, -2, 1, -1]);
      expect(heads.shape).toEqual([B, H, T, D]);
      const at = (a: Tensor, i: number[]) => R.at({ shape: [...a.shape], data: Array.from(a.data()) }, i);
      expect(at(heads, [1, 2, 0, 3])).toBe(at(x, [1, 0, 2 * D + 3]));
      expect(permute(x, [2, 0, 1]).shape).toEqual([H * D, B, T]);
    });
  });

  it('negative axes in every op that takes one', () => {
    scope(() => {
      manualSeed(9);
      const x = randn([2, 3, 4]);
      const same = (a: Tensor, b: Tensor) => expect(a.toArray()).toEqual(b.toArray());
      for (const [neg, pos] of [
        [-1, 2],
        [-2, 1],
        [-3, 0],
      ] as const) {
        same(x.sum(neg), x.sum(pos));
        same(x.mean(neg, true), x.mean(pos, true));
        same(x.max(neg), x.max(pos));
        same(x.min(neg), x.min(pos));
        same(x.argmax(neg), x.argmax(pos));
        same(x.argmin(neg), x.argmin(pos));
        same(x.softmax(neg), x.softmax(pos));
        same(x.logSoftmax(neg), x.logSoftmax(pos));
        same(x.logSumExp(neg), x.logSumExp(pos));
        same(x.cumsum(neg), x.cumsum(pos));
        same(x.var(neg), x.var(pos));
        same(x.gather(tensor([1, 0], { dtype: 'int32' }), neg), x.gather(tensor([1, 0], { dtype: 'int32' }), pos));
        same(x.expandDims(neg), x.expandDims(pos + 1));
        same(x.topk(2, neg).values, x.topk(2, pos).values);
      }
      same(x.sum([-1, -3]), x.sum([0, 2]));
      same(x.slice([0, -2, -3], [-1, 2, 2]), x.slice([0, 1, 1], [2, 2, 2]));
      const e = x.expandDims(1);
      same(e.squeeze(-3), e.squeeze(1));
      same(concat([x, x], -1), concat([x, x], 2));
      same(concat([x, x], -2), concat([x, x], 1));
      same(stack([x, x], -1), stack([x, x], 3));
      same(stack([x, x], -2), stack([x, x], 2));
      same(x.split(2, -1)[1]!, x.slice([0, 0, 2]));
      same(x.chunk(3, -2)[2]!, x.slice([0, 2, 0]));
    });
  });
});
