// float64 end to end: every op family in float64 against a plain-JS float64 reference to ~1e-14
// relative, casts between all dtypes, and PyTorch's type promotion.
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherBackward, geluBackward, padSlice, reluBackward, sigmoidBackward, softmaxBackward, tanhBackward } from '../src/grad.js';
import * as g from '../src/index.js';
import { kernels } from '../src/runtime.js';
import * as R from './reference.js';

const T64 = { dtype: 'float64' } as const;

/** |a − e| ≤ tol·max(|e|, scale) for every element, scale = the largest |e| (relative error). */
function near(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e)) expect(a).toBeNaN();
    else if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(Math.abs(e), scale, 1e-300));
  }
}

function f64(t: g.Tensor): Float64Array {
  expect(t.dtype).toBe('float64');
  const d = t.data();
  expect(d).toBeInstanceOf(Float64Array);
  return d as Float64Array;
}

// values that float32 cannot hold: a float32 kernel anywhere on the path shows up at ~1e-8
const X = Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) / 3 - 1.7 + i / 9 + 1e-9 * i);
const P = X.map((v) => Math.abs(v) + 0.1);

beforeAll(async () => {
  await g.ready();
});

describe('every float32 kernel has a float64 one', () => {
  it('each export named *_f32 (or *_32) has its *_f64 (*_64) twin', () => {
    const names = Object.keys(kernels());
    const f32 = names.filter((n) => /_(f)?32$/.test(n) && !n.startsWith('ew_cast_'));
    expect(f32.length).toBeGreaterThan(30);
    expect(f32.filter((n) => !names.includes(n.replace(/32$/, '64')))).toEqual([]);
    // the convolution and pooling families among them
    for (const n of ['conv2d_forward_f64', 'conv2d_backward_input_f64', 'conv2d_backward_weight_f64', 'maxpool2d_backward_f64'])
      expect(names).toContain(n);
  });
});

describe('float64 tensors', () => {
  it('a Float64Array keeps every bit; data() is a Float64Array; item() is exact', () => {
    g.scope(() => {
      const bits = new Float64Array([0.1, 1 / 3, Math.PI, 1e-300, 5e-324, -0, 2 ** 53 + 2, Number.MAX_VALUE]);
      const t = g.tensor(bits, T64);
      const back = f64(t);
      expect(new Uint8Array(back.buffer)).toEqual(new Uint8Array(bits.buffer));
      expect(g.tensor(0.1, T64).item()).toBe(0.1);
      expect(g.tensor([[1 / 3, 2 / 3]], T64).toArray()).toEqual([[1 / 3, 2 / 3]]);
      expect(g.tensor(0.1).item()).toBe(Math.fround(0.1));
      expect(t.toString()).toContain('float64');
      expect(g.memory().bytesInUse).toBeGreaterThan(0);
    });
  });

  it('creation ops take a dtype', () => {
    g.scope(() => {
      expect(f64(g.zeros([2, 3], T64))).toEqual(new Float64Array(6));
      expect(f64(g.ones([3], 'float64'))).toEqual(new Float64Array([1, 1, 1]));
      expect(f64(g.full([2], 0.1, T64))).toEqual(new Float64Array([0.1, 0.1]));
      expect(f64(g.eye(2, 3, T64))).toEqual(new Float64Array([1, 0, 0, 0, 1, 0]));
      expect(f64(g.arange(0, 0.5, 0.1, 'float64'))).toEqual(new Float64Array([0, 0.1, 0.2, 0.30000000000000004, 0.4]));
      expect(Array.from(f64(g.linspace(0, 1, 4, T64)))).toEqual([0, 1 / 3, 2 / 3, 1]);
      expect(g.zeros([2]).dtype).toBe('float32');
      expect(() => g.zeros([2], { dtype: 'float16' as never })).toThrow(g.DTypeError);
      expect(() => g.randn([2], { dtype: 'int32' as never })).toThrow(/randn: dtype int32 is not float32 or float64/);
    });
  });

  it('random float64 draws are the float32 draws unrounded, seeded and bit-identical', () => {
    g.scope(() => {
      g.manualSeed(7);
      const n32 = g.randn([101]).data();
      g.manualSeed(7);
      const n64 = f64(g.randn([101], T64));
      g.manualSeed(7);
      const again = f64(g.randn([101], T64));
      expect(again).toEqual(n64);
      expect(Float32Array.from(n64)).toEqual(n32);
      expect(n64.some((v) => v !== Math.fround(v))).toBe(true);
      g.manualSeed(3);
      const u32 = g.rand([50]).data();
      g.manualSeed(3);
      expect(Float32Array.from(f64(g.rand([50], T64)))).toEqual(u32);
      const u64 = f64(g.rand([50], { low: -2, high: 3, dtype: 'float64' }));
      expect(u64.every((v) => v >= -2 && v < 3)).toBe(true);
      const mask = f64(g.dropoutMask([1000], 0.25, 'float64'));
      expect(mask.every((v) => v === 0 || v === 4 / 3)).toBe(true);
    });
  });

  it('casts between all dtypes', () => {
    g.scope(() => {
      const v = [1.5, -2.7, 0.1, 3e9, -3e9, Number.NaN, 1 / 3];
      const t64 = g.tensor(v, T64);
      const t32 = t64.cast('float32');
      expect(t32.dtype).toBe('float32');
      expect(Array.from(t32.data())).toEqual(v.map(Math.fround));
      expect(Array.from(t64.cast('int32').data())).toEqual([1, -2, 0, 2147483647, -2147483648, 0, 0]);
      expect(Array.from(f64(t32.cast('float64')))).toEqual(v.map(Math.fround));
      const ints = g.tensor([-5, 0, 7, 2147483647], { dtype: 'int32' });
      expect(Array.from(f64(ints.cast('float64')))).toEqual([-5, 0, 7, 2147483647]);
      expect(Array.from(f64(t64.cast('float64')))).toEqual(Array.from(t64.data()));
    });
  });
});

describe('float64 ops against a plain-JS float64 reference', () => {
  const unary: Array<[string, (t: g.Tensor) => g.Tensor, (x: number) => number, number[]]> = [
    ['neg', g.neg, (x) => -x, X],
    ['abs', g.abs, Math.abs, X],
    ['sqrt', g.sqrt, Math.sqrt, P],
    ['exp', g.exp, Math.exp, X],
    ['log', g.log, Math.log, P],
    ['square', g.square, (x) => x * x, X],
    ['reciprocal', g.reciprocal, (x) => 1 / x, X],
    ['sign', g.sign, Math.sign, X],
    ['relu', g.relu, (x) => Math.max(x, 0), X],
    ['sigmoid', g.sigmoid, (x) => 1 / (1 + Math.exp(-x)), X],
    ['tanh', g.tanh, Math.tanh, X],
    ['gelu', g.gelu, R.gelu, X],
    ['gelu tanh', (t) => g.gelu(t, { approximate: 'tanh' }), R.geluTanh, X],
    ['sin', g.sin, Math.sin, X],
    ['cos', g.cos, Math.cos, X],
    ['tan', g.tan, Math.tan, X],
    ['erf', g.erf, R.erf, X],
    ['log1p', g.log1p, Math.log1p, P],
    ['expm1', g.expm1, Math.expm1, X],
    ['leakyRelu', (t) => g.leakyRelu(t, 0.1), (x) => (x > 0 ? x : 0.1 * x), X],
    ['clamp', (t) => g.clamp(t, -0.3, 1.1), (x) => Math.min(Math.max(x, -0.3), 1.1), X],
    ['affine', (t) => g.affine(t, 0.1, 1 / 3), (x) => x * 0.1 + 1 / 3, X],
    ['pow scalar', (t) => t.pow(1.7), (x) => x ** 1.7, P],
  ];
  for (const [name, op, ref, xs] of unary) {
    it(`unary ${name}`, () => {
      g.scope(() => near(f64(op(g.tensor(xs, T64))), xs.map(ref)));
    });
  }

  const binary: Array<[string, (a: g.Tensor, b: g.Tensor) => g.Tensor, (a: number, b: number) => number]> = [
    ['add', g.add, (a, b) => a + b],
    ['sub', g.sub, (a, b) => a - b],
    ['mul', g.mul, (a, b) => a * b],
    ['div', g.div, (a, b) => a / b],
    ['pow', (a, b) => g.pow(g.abs(a), b), (a, b) => Math.abs(a) ** b],
    ['maximum', g.maximum, Math.max],
    ['minimum', g.minimum, Math.min],
  ];
  const shapes: Array<[number[], number[]]> = [
    [
      [2, 3, 5],
      [2, 3, 5],
    ],
    [[2, 3, 5], [5]],
    [
      [2, 3, 5],
      [3, 1],
    ],
    [[5], [2, 3, 5]],
    [[2, 3, 5], []],
  ];
  for (const [name, op, ref] of binary) {
    it(`binary ${name} with broadcasting`, () => {
      g.scope(() => {
        for (const [sa, sb] of shapes) {
          const a = { shape: sa, data: X.slice(0, R.size(sa)) };
          const b = { shape: sb, data: P.slice(0, R.size(sb)).map((v, i) => v * (i % 2 ? -1 : 1)) };
          const out = op(g.tensor(a.data, { ...T64, shape: sa }), g.tensor(b.data, { ...T64, shape: sb }));
          const want = R.binary(a, b, ref);
          expect(out.shape).toEqual(want.shape);
          near(f64(out), want.data);
        }
      });
    });
  }

  it('gradient helpers (relu, sigmoid, tanh, gelu backward)', () => {
    g.scope(() => {
      const dy = g.tensor(P, T64);
      const x = g.tensor(X, T64);
      const s = X.map((v) => 1 / (1 + Math.exp(-v)));
      const th = X.map(Math.tanh);
      near(
        f64(reluBackward(dy, x)),
        P.map((d, i) => (X[i]! > 0 ? d : 0)),
      );
      near(
        f64(sigmoidBackward(dy, g.tensor(s, T64))),
        P.map((d, i) => d * s[i]! * (1 - s[i]!)),
      );
      near(
        f64(tanhBackward(dy, g.tensor(th, T64))),
        P.map((d, i) => d * (1 - th[i]! * th[i]!)),
      );
      const c = Math.sqrt(2 / Math.PI);
      const geluGrad = (v: number) => {
        const t = Math.tanh(c * (v + 0.044715 * v ** 3));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
      };
      near(
        f64(geluBackward(dy, x, { approximate: 'tanh' })),
        P.map((d, i) => d * geluGrad(X[i]!)),
      );
      // exact GELU: Φ(x) + x·φ(x)
      near(
        f64(geluBackward(dy, x)),
        P.map((d, i) => d * ((1 + R.erf(X[i]! / Math.SQRT2)) / 2 + (X[i]! * Math.exp(-(X[i]! ** 2) / 2)) / Math.sqrt(2 * Math.PI))),
      );
    });
  });

  it('comparisons and where', () => {
    g.scope(() => {
      // 0.1 and its float32 rounding differ: a float32 path would call them equal
      const a = g.tensor([0.1, 0.2, 0.3, 1 / 3], T64);
      const b = g.tensor([Math.fround(0.1), 0.2, 0.4, 0.3333333333333333], T64);
      expect(Array.from(g.eq(a, b).data())).toEqual([0, 1, 0, 1]);
      expect(Array.from(g.ne(a, b).data())).toEqual([1, 0, 1, 0]);
      expect(Array.from(g.lt(a, b).data())).toEqual([1, 0, 1, 0]);
      expect(Array.from(g.le(a, b).data())).toEqual([1, 1, 1, 1]);
      expect(Array.from(g.gt(a, b).data())).toEqual([0, 0, 0, 0]);
      expect(Array.from(g.ge(a, b).data())).toEqual([0, 1, 0, 1]);
      expect(g.eq(a, b).dtype).toBe('int32');
      const w = g.where(g.tensor([1, 0, 1, 0], { dtype: 'int32' }), a, g.tensor([[-1e-12], [5]], T64));
      expect(w.shape).toEqual([2, 4]);
      expect(Array.from(f64(w))).toEqual([0.1, -1e-12, 0.3, -1e-12, 0.1, 5, 0.3, 5]);
    });
  });

  it('reductions over axes and in full, and arg-reductions', () => {
    g.scope(() => {
      const shape = [2, 3, 5];
      const ref = { shape, data: X };
      const t = g.tensor(X, { ...T64, shape });
      const add = (s: number, v: number) => s + v;
      for (const axis of [0, 1, 2]) {
        near(f64(g.sum(t, axis)), R.reduceAxis(ref, axis, add, (v) => v).data);
        near(
          f64(g.mean(t, axis)),
          R.reduceAxis(ref, axis, add, (v) => v).data.map((v) => v / shape[axis]!),
        );
        near(f64(g.max(t, axis)), R.reduceAxis(ref, axis, Math.max, (v) => v).data);
        near(f64(g.min(t, axis)), R.reduceAxis(ref, axis, Math.min, (v) => v).data);
        const am = g.argmax(t, axis);
        expect(am.dtype).toBe('int32');
        const want = R.reduceAxis(
          { shape, data: X.map((_, i) => i) },
          axis,
          (best, i) => (X[i]! > X[best]! ? i : best),
          (i) => i,
        );
        expect(Array.from(am.data())).toEqual(want.data.map((i) => R.unravel(i, shape)[axis]!));
      }
      // a long row exercises the two-accumulator f64x2 loop
      const long = Array.from({ length: 1001 }, (_, i) => Math.sin(i) + 1e-10 * i);
      const lt = g.tensor(long, T64);
      near([g.sum(lt).item()], [long.reduce(add, 0)]);
      near([g.mean(lt).item()], [long.reduce(add, 0) / 1001]);
      expect(g.max(lt).item()).toBe(Math.max(...long));
      expect(g.min(lt).item()).toBe(Math.min(...long));
      expect(g.argmin(lt).item()).toBe(long.indexOf(Math.min(...long)));
      near(
        f64(g.sum(t, [0, 2])),
        [0, 1, 2].map((j) => X.filter((_, i) => R.unravel(i, shape)[1] === j).reduce(add, 0)),
      );
    });
  });

  it('softmax family and its backward', () => {
    g.scope(() => {
      const shape = [3, 5];
      const t = g.tensor(X.slice(0, 15), { ...T64, shape });
      const rows = [0, 1, 2].map((r) => X.slice(r * 5, r * 5 + 5));
      const lse = rows.map((r) => {
        const m = Math.max(...r);
        return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
      });
      const sm = rows.flatMap((r, i) => r.map((v) => Math.exp(v - lse[i]!)));
      near(f64(g.softmax(t)), sm);
      near(
        f64(g.logSoftmax(t)),
        rows.flatMap((r, i) => r.map((v) => v - lse[i]!)),
      );
      near(f64(g.logSumExp(t)), lse);
      const dy = P.slice(0, 15);
      const dyT = g.tensor(dy, { ...T64, shape });
      const dot = [0, 1, 2].map((r) => [0, 1, 2, 3, 4].reduce((s, j) => s + dy[r * 5 + j]! * sm[r * 5 + j]!, 0));
      near(
        f64(softmaxBackward(g.softmax(t), dyT, -1, false)),
        sm.map((y, i) => y * (dy[i]! - dot[Math.floor(i / 5)]!)),
      );
      const dsum = [0, 1, 2].map((r) => dy.slice(r * 5, r * 5 + 5).reduce((s, v) => s + v, 0));
      near(
        f64(softmaxBackward(g.logSoftmax(t), dyT, -1, true)),
        sm.map((y, i) => dy[i]! - y * dsum[Math.floor(i / 5)]!),
      );
    });
  });

  it('matmul: the f64x2 GEMM across edge tiles, k blocks, transposes and batches', () => {
    g.scope(() => {
      // k = 300 crosses the float64 k-block (128) twice; m, n are not multiples of the 4×4 tile
      for (const [m, k, n] of [
        [7, 300, 9],
        [1, 5, 1],
        [13, 3, 6],
      ] as const) {
        const a = { shape: [m, k], data: Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37) + 1e-9 * i) };
        const b = { shape: [k, n], data: Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11) - 0.3) };
        const want = R.matmul(a, b).data;
        const ta = g.tensor(a.data, { ...T64, shape: a.shape });
        const tb = g.tensor(b.data, { ...T64, shape: b.shape });
        near(f64(g.matmul(ta, tb)), want, 1e-13);
        const at = g.tensor(R.transpose2d(a).data, { ...T64, shape: [k, m] });
        const bt = g.tensor(R.transpose2d(b).data, { ...T64, shape: [n, k] });
        near(f64(g.matmul(at, tb, { transposeA: true })), want, 1e-13);
        near(f64(g.matmul(ta, bt, { transposeB: true })), want, 1e-13);
        near(f64(g.matmul(at, bt, { transposeA: true, transposeB: true })), want, 1e-13);
      }
      // batched with a broadcast batch axis, and 1-D operands
      const a = Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7 - 1);
      const b = Array.from({ length: 4 * 5 }, (_, i) => 1 / (i + 1));
      const out = g.matmul(g.tensor(a, { ...T64, shape: [2, 3, 4] }), g.tensor(b, { ...T64, shape: [1, 4, 5] }));
      expect(out.shape).toEqual([2, 3, 5]);
      const want = [0, 1].flatMap((i) => R.matmul({ shape: [3, 4], data: a.slice(i * 12, i * 12 + 12) }, { shape: [4, 5], data: b }).data);
      near(f64(out), want);
      const v = g.matmul(g.tensor([1 / 3, 2 / 3, 1], T64), g.tensor(b.slice(0, 6), { ...T64, shape: [3, 2] }));
      near(f64(v), [b[0]! / 3 + (2 * b[2]!) / 3 + b[4]!, b[1]! / 3 + (2 * b[3]!) / 3 + b[5]!]);
    });
  });

  it('layout copies move whole 64-bit words', () => {
    g.scope(() => {
      const shape = [2, 3, 5];
      const t = g.tensor(X, { ...T64, shape });
      const tr = g.transpose(t, [2, 0, 1]);
      expect(tr.shape).toEqual([5, 2, 3]);
      expect(Array.from(f64(tr))).toEqual(
        Array.from({ length: 30 }, (_, i) => {
          const [k, a, b] = R.unravel(i, [5, 2, 3]);
          return X[a! * 15 + b! * 5 + k!]!;
        }),
      );
      expect(Array.from(f64(g.slice(t, [1, 1, 2], [1, 2, 3])))).toEqual([X[22], X[23], X[24], X[27], X[28], X[29]]);
      expect(Array.from(f64(g.broadcastTo(g.tensor([0.1, 1 / 3], T64), [2, 2])))).toEqual([0.1, 1 / 3, 0.1, 1 / 3]);
      expect(Array.from(f64(g.reshape(t, [6, 5])))).toEqual(X);
      expect(Array.from(f64(g.clone(t)))).toEqual(X);
      const c = g.concat([g.tensor([[0.1]], T64), g.tensor([[1 / 3, 1e-300]], T64)], 1);
      expect(Array.from(f64(c))).toEqual([0.1, 1 / 3, 1e-300]);
      expect(Array.from(f64(g.stack([g.tensor([0.1], T64), g.tensor([0.2], T64)])))).toEqual([0.1, 0.2]);
      const pad = padSlice(g.tensor([[0.1, 0.2]], T64), [1, 1], [2, 4]);
      expect(Array.from(f64(pad))).toEqual([0, 0, 0, 0, 0, 0.1, 0.2, 0]);
    });
  });

  it('gather, its scatter-add adjoint, and one-hot', () => {
    g.scope(() => {
      const t = g.tensor(X.slice(0, 15), { ...T64, shape: [3, 5] });
      const idx = g.tensor([2, 0, 2], { dtype: 'int32' });
      const rows = f64(g.gather(t, idx, 0));
      expect(Array.from(rows)).toEqual([...X.slice(10, 15), ...X.slice(0, 5), ...X.slice(10, 15)]);
      const cols = f64(g.gather(t, g.tensor([4, 1], { dtype: 'int32' }), 1));
      expect(Array.from(cols)).toEqual([X[4], X[1], X[9], X[6], X[14], X[11]]);
      const dy = g.tensor(P.slice(0, 15), { ...T64, shape: [3, 5] });
      const dx = f64(gatherBackward(dy, idx, 0, [3, 5]));
      const want = [...P.slice(5, 10), 0, 0, 0, 0, 0, ...P.slice(0, 5).map((v, j) => v + P[10 + j]!)];
      near(dx, want);
      expect(Array.from(f64(g.oneHot(g.tensor([1, 0], { dtype: 'int32' }), 3, 'float64')))).toEqual([0, 1, 0, 1, 0, 0]);
    });
  });

  it('fused optimizer kernels and in-place updates', () => {
    g.scope(() => {
      const n = 7;
      const p0 = X.slice(0, n);
      const gr = P.slice(0, n).map((v, i) => v * (i % 3 ? 1 : -1));
      const mk = (v: number[]) => g.tensor(v, T64);
      // axpy, sumOfSquares, scale, clamp
      let p = mk(p0);
      g.axpyInPlace(p, mk(gr), -0.1);
      near(
        f64(p),
        p0.map((v, i) => v - 0.1 * gr[i]!),
      );
      near([g.sumOfSquares(mk(gr))], [gr.reduce((s, v) => s + v * v, 0)]);
      p = mk(p0);
      g.scaleInPlace(p, 1 / 3);
      near(
        f64(p),
        p0.map((v) => v / 3),
      );
      g.clampInPlace(p, -0.1, 0.1);
      near(
        f64(p),
        p0.map((v) => Math.min(Math.max(v / 3, -0.1), 0.1)),
      );
      // SGD with momentum and weight decay, two steps
      p = mk(p0);
      const buf = g.zeros([n], T64);
      const h = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: false };
      g.sgdUpdate(p, mk(gr), buf, { ...h, first: true });
      g.sgdUpdate(p, mk(gr), buf, { ...h, first: false });
      const sgdRef = p0.map((v, i) => {
        const g1 = gr[i]! + 0.01 * v;
        const v1 = v - 0.1 * g1;
        const g2 = gr[i]! + 0.01 * v1;
        return v1 - 0.1 * (0.9 * g1 + g2);
      });
      near(f64(p), sgdRef);
      // Adam, two steps
      p = mk(p0);
      const m = g.zeros([n], T64);
      const v = g.zeros([n], T64);
      const vmax = g.zeros([n], T64);
      const ah = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false };
      g.adamUpdate(p, mk(gr), m, v, vmax, { ...ah, step: 1 });
      g.adamUpdate(p, mk(gr), m, v, vmax, { ...ah, step: 2 });
      const adamRef = p0.map((x, i) => {
        let mm = 0;
        let vv = 0;
        let q = x;
        for (const t of [1, 2]) {
          mm = 0.9 * mm + 0.1 * gr[i]!;
          vv = 0.999 * vv + 0.001 * gr[i]! ** 2;
          q -= ((0.01 / (1 - 0.9 ** t)) * mm) / (Math.sqrt(vv) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
        }
        return q;
      });
      near(f64(p), adamRef);
      // RMSprop and Adagrad, one step
      p = mk(p0);
      g.rmspropUpdate(p, mk(gr), g.zeros([n], T64), g.zeros([n], T64), g.zeros([n], T64), {
        lr: 0.01,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        centered: false,
      });
      near(
        f64(p),
        p0.map((x, i) => x - (0.01 * gr[i]!) / (Math.sqrt(0.01 * gr[i]! ** 2) + 1e-8)),
      );
      p = mk(p0);
      g.adagradUpdate(p, mk(gr), g.zeros([n], T64), { lr: 0.1, eps: 1e-10, weightDecay: 0 });
      near(
        f64(p),
        p0.map((x, i) => x - (0.1 * gr[i]!) / (Math.abs(gr[i]!) + 1e-10)),
      );
      // one dtype per update
      expect(() => g.axpyInPlace(mk(p0), g.tensor(gr), 1)).toThrow(/axpyInPlace: tensors must share one dtype, got float64, float32/);
    });
  });
});

describe('type promotion (as in PyTorch)', () => {
  it('float32 ⊕ float64 → float64, computed on the float32 value exactly', () => {
    g.scope(() => {
      const a = g.tensor([0.1, 1 / 3]);
      const b = g.tensor([1e-10, 0.2], T64);
      const s = g.add(a, b);
      expect(Array.from(f64(s))).toEqual([Math.fround(0.1) + 1e-10, Math.fround(1 / 3) + 0.2]);
      expect(g.mul(b, a).dtype).toBe('float64');
      expect(g.matmul(g.tensor([[1, 2]]), g.tensor([[0.1], [0.2]], T64)).dtype).toBe('float64');
      expect(g.where(g.tensor([1, 0], { dtype: 'int32' }), a, b).dtype).toBe('float64');
      expect(g.concat([a, b]).dtype).toBe('float64');
      expect(g.eq(a, b).dtype).toBe('int32');
    });
  });

  it('int32 ⊕ float → float; int32 ⊕ int32 stays int32', () => {
    g.scope(() => {
      const i = g.tensor([1, 2], { dtype: 'int32' });
      expect(g.add(i, g.tensor([0.5, 0.25], T64)).dtype).toBe('float64');
      expect(Array.from(g.add(i, g.tensor([0.1, 0.1], T64)).data())).toEqual([1.1, 2.1]);
      expect(g.add(i, g.tensor([0.5, 0.25])).dtype).toBe('float32');
      expect(g.add(i, i).dtype).toBe('int32');
      expect(g.div(i, i).dtype).toBe('float32');
      expect(g.promoteTypes('int32', 'float64')).toBe('float64');
      expect(g.promoteTypes('float32', 'int32')).toBe('float32');
      expect(g.promoteTypes('float32', 'float64')).toBe('float64');
      expect(g.promoteTypes('int32', 'int32')).toBe('int32');
    });
  });

  it('a JS number does not upcast a tensor, and joins a float64 one without float32 rounding', () => {
    g.scope(() => {
      expect(g.tensor([1, 2]).add(0.1).dtype).toBe('float32');
      expect(g.tensor([1, 2], { dtype: 'int32' }).mul(3).dtype).toBe('int32');
      const d = g.tensor([1, 2], T64).add(0.1);
      expect(Array.from(f64(d))).toEqual([1.1, 2.1]);
      expect(Array.from(f64(g.tensor([1, 2], T64).mul([0.1, 0.2])))).toEqual([0.1, 0.4]);
      expect(g.sub(0.1, g.tensor([0.1], T64)).item()).toBe(0);
    });
  });
});
