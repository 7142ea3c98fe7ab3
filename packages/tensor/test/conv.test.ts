import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2dBackward,
  avgPool2dBackward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2dBackward,
  maxPool2dWithIndices,
} from '../src/grad.js';
import {
  adaptiveAvgPool2d,
  avgPool2d,
  type Conv2dOptions,
  type ConvGeometry,
  type ConvTranspose2dOptions,
  conv2d,
  convTranspose2d,
  DTypeError,
  type FloatDType,
  GdError,
  manualSeed,
  maxPool2d,
  memory,
  ones,
  randn,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  ValueError,
} from '../src/index.js';
import { close as closeTo } from './families.js';

const fails = failsWith(memory, GdError);

// Plain-JS references, written as the definition reads: loops over every output and kernel tap.

/** Visits every (output, tap) pair that reads a real input pixel. */
function eachTap(g: ConvGeometry, visit: (yi: number, xi: number, wi: number) => void): void {
  const cg = g.c / g.groups;
  const ocg = g.oc / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.oc; o++) {
      const grp = Math.floor(o / ocg);
      for (let oh = 0; oh < g.oh; oh++)
        for (let ow = 0; ow < g.ow; ow++) {
          const yi = ((n * g.oc + o) * g.oh + oh) * g.ow + ow;
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < g.kh; i++)
              for (let j = 0; j < g.kw; j++) {
                const ih = oh * g.sh - g.ph + i * g.dh;
                const iw = ow * g.sw - g.pw + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const xi = ((n * g.c + grp * cg + c) * g.h + ih) * g.w + iw;
                const wi = ((o * cg + c) * g.kh + i) * g.kw + j;
                visit(yi, xi, wi);
              }
        }
    }
}

function geometry(
  xs: number[],
  ws: number[],
  o: { stride?: number[]; padding?: number[] | 'same'; dilation?: number[]; groups?: number },
): ConvGeometry {
  const [n, c, h, w] = xs as [number, number, number, number];
  const [oc, , kh, kw] = ws as [number, number, number, number];
  const [sh, sw] = o.stride ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  if (o.padding === 'same') {
    const ph = Math.floor((dh! * (kh - 1)) / 2);
    const pw = Math.floor((dw! * (kw - 1)) / 2);
    return { n, c, h, w, oc, groups: o.groups ?? 1, kh, kw, sh: 1, sw: 1, ph, pw, dh: dh!, dw: dw!, oh: h, ow: w };
  }
  const [ph, pw] = o.padding ?? [0, 0];
  const oh = Math.floor((h + 2 * ph! - dh! * (kh - 1) - 1) / sh!) + 1;
  const ow = Math.floor((w + 2 * pw! - dw! * (kw - 1) - 1) / sw!) + 1;
  return { n, c, h, w, oc, groups: o.groups ?? 1, kh, kw, sh: sh!, sw: sw!, ph: ph!, pw: pw!, dh: dh!, dw: dw!, oh, ow };
}

// every element within 1e-4 relative (absolute below 1) unless a test says otherwise
const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-4): void => closeTo(actual, expected, tol);

const toOpts = (o: { stride?: number[]; padding?: number[] | 'same'; dilation?: number[]; groups?: number }): Conv2dOptions => ({
  stride: o.stride as [number, number] | undefined,
  padding: o.padding as [number, number] | 'same' | undefined,
  dilation: o.dilation as [number, number] | undefined,
  groups: o.groups,
});

describe('conv2d against a direct loop reference', () => {
  // a grid over strides, paddings, dilations, groups, non-square kernels, odd sizes and channel
  // counts that leave SIMD and micro-kernel tails
  const kernelsHW = [
    [1, 1],
    [3, 3],
    [2, 5],
    [5, 2],
  ];
  const configs: Array<{ stride?: number[]; padding?: number[] | 'same'; dilation?: number[]; groups?: number }> = [];
  for (const stride of [
    [1, 1],
    [2, 2],
    [1, 3],
  ])
    for (const padding of [[0, 0], [1, 2], 'same'] as const)
      for (const dilation of [
        [1, 1],
        [2, 1],
      ])
        for (const groups of [1, 3]) {
          if (padding === 'same' && (stride[0] !== 1 || stride[1] !== 1)) continue;
          configs.push({ stride, padding: padding === 'same' ? 'same' : [...padding], dilation, groups });
        }

  // float32 kernels against the float64 loop: ~1e-4 relative; float64 kernels: the same sums in
  // another order, ~1e-15 relative (1e-12 leaves room for the longest sums)
  for (const [dtype, tol] of [
    ['float32', 1e-4],
    ['float64', 1e-12],
  ] as const)
    it(`forward, input gradient and weight gradient over the grid (${dtype})`, () => {
      gridCheck(dtype, tol);
    });

  function gridCheck(dtype: FloatDType, tol: number): void {
    manualSeed(3);
    let checked = 0;
    let transposed = 0;
    for (const [kh, kw] of kernelsHW) {
      for (const o of configs) {
        scope(() => {
          const groups = o.groups ?? 1;
          const xs = [2, 3 * groups === 3 ? 3 : 6, 9, 11];
          const ws = [5 * groups, xs[1]! / groups, kh!, kw!];
          const g = geometry(xs, ws, o);
          if (g.oh < 1 || g.ow < 1) return;
          const x = randn(xs, { dtype });
          const w = randn(ws, { dtype });
          const b = randn([ws[0]!], { dtype });
          const xd = Array.from(x.data());
          const wd = Array.from(w.data());
          const bd = Array.from(b.data());
          const y = conv2d(x, w, b, toOpts(o));
          expect(y.shape).toEqual([g.n, g.oc, g.oh, g.ow]);
          expect(y.dtype).toBe(dtype);
          const ref = new Array<number>(y.size).fill(0);
          for (let i = 0; i < ref.length; i++) ref[i] = bd[Math.floor(i / (g.oh * g.ow)) % g.oc]!;
          eachTap(g, (yi, xi, wi) => {
            ref[yi]! += xd[xi]! * wd[wi]!;
          });
          close(y.data(), ref, tol);
          // adjoints: dx[xi] += dy[yi]·w[wi], dw[wi] += dy[yi]·x[xi]
          const dy = randn(y.shape as number[], { dtype });
          const dyd = Array.from(dy.data());
          const dxRef = new Array<number>(x.size).fill(0);
          const dwRef = new Array<number>(w.size).fill(0);
          eachTap(g, (yi, xi, wi) => {
            dxRef[xi]! += dyd[yi]! * wd[wi]!;
            dwRef[wi]! += dyd[yi]! * xd[xi]!;
          });
          const dx = conv2dBackwardInput(dy, w, xs, toOpts(o));
          const dw = conv2dBackwardWeight(x, dy, ws, toOpts(o));
          expect([dx.dtype, dw.dtype]).toEqual([dtype, dtype]);
          close(dx.data(), dxRef, tol);
          close(dw.data(), dwRef, tol);
          // convTranspose2d is the same adjoint as a forward op (outputPadding 0 fits when the
          // forward convolution's windows end exactly at the padded input's edge)
          const exact = (len: number, p: number, d: number, k: number, s: number) => (len + 2 * p - d * (k - 1) - 1) % s === 0;
          if (o.padding !== 'same' && exact(g.h, g.ph, g.dh, g.kh, g.sh) && exact(g.w, g.pw, g.dw, g.kw, g.sw)) {
            const t = convTranspose2d(dy, w, undefined, toOpts(o) as ConvTranspose2dOptions);
            expect(t.dtype).toBe(dtype);
            close(t.data(), dxRef, tol);
            transposed++;
          }
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(transposed).toBeGreaterThan(10);
  }

  it('a hand-computed 3×3 example; no bias; unbatched input', () => {
    const x = tensor([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
    ]);
    const w = tensor([
      [
        [
          [1, 0],
          [0, -1],
        ],
      ],
    ]);
    expect(conv2d(x, w).toArray()).toEqual([
      [
        [
          [-4, -4],
          [-4, -4],
        ],
      ],
    ]);
    // padding 1: the corner tap sees only x[0,0] = 1 under w[1,1] = −1
    expect((conv2d(x, w, undefined, { padding: 1 }).toArray() as number[][][][])[0]![0]![0]![0]).toBe(-1);
    const unbatched = conv2d(x.reshape([1, 3, 3]), w, [10]);
    expect(unbatched.toArray()).toEqual([
      [
        [6, 6],
        [6, 6],
      ],
    ]);
  });

  it('LeNet shapes: wide images, many channels (micro-kernel and SIMD tails)', () => {
    manualSeed(5);
    scope(() => {
      const xs = [3, 8, 14, 14];
      const ws = [16, 8, 5, 5];
      const x = randn(xs);
      const w = randn(ws);
      const g = geometry(xs, ws, {});
      const xd = Array.from(x.data());
      const wd = Array.from(w.data());
      const ref = new Array<number>(g.n * g.oc * g.oh * g.ow).fill(0);
      eachTap(g, (yi, xi, wi) => {
        ref[yi]! += xd[xi]! * wd[wi]!;
      });
      close(conv2d(x, w).data(), ref);
    });
  });

  it('convTranspose2d is the adjoint of conv2d (and adds its bias)', () => {
    manualSeed(9);
    scope(() => {
      // conv2d x [2, 4, 9, 9] → y with w [6, 2, 3, 2], stride 2, padding 1, groups 2
      const w = randn([6, 2, 3, 2]);
      const opts = { stride: 2, padding: 1, groups: 2 } as const;
      const yShape = conv2d(randn([2, 4, 9, 9]), w, undefined, opts).shape;
      const dy = randn(yShape as number[]);
      const expected = conv2dBackwardInput(dy, w, [2, 4, 9, 9], opts);
      const t = convTranspose2d(dy, w, [0.5, -1, 2, 0], { ...opts, outputPadding: [0, 1] });
      expect(t.shape).toEqual([2, 4, 9, 9]);
      // without outputPadding the last column is not produced
      expect(convTranspose2d(dy, w, undefined, opts).shape).toEqual([2, 4, 9, 8]);
      const e = expected.data();
      const bias = [0.5, -1, 2, 0];
      close(
        t.data(),
        Array.from(e, (v, i) => v + bias[Math.floor(i / 81) % 4]!),
      );
    });
  });

  it('bad input is a clear typed error', () => {
    const x = ones([1, 3, 5, 5]);
    expect(() => conv2d(x, ones([2, 2, 3, 3]))).toThrow(ShapeError);
    expect(() => conv2d(x, ones([2, 2, 3, 3]))).toThrow(/3 channels; weight \[2,2,3,3\] with groups 1 expects 2/);
    expect(() => conv2d(x, ones([2, 1, 3, 3]), undefined, { groups: 3 })).toThrow(/not divisible by groups 3/);
    expect(() => conv2d(x, ones([2, 3, 7, 3]))).toThrow(/smaller than the dilated kernel/);
    expect(() => conv2d(x, ones([2, 3, 3, 3]), undefined, { stride: 0 })).toThrow(ValueError);
    expect(() => conv2d(x, ones([2, 3, 3, 3]), undefined, { padding: 'same', stride: 2 })).toThrow(/'same' needs stride 1/);
    expect(() => conv2d(x, ones([2, 3, 3, 3]), undefined, { dilation: [1, 1.5] as never })).toThrow(/dilation/);
    expect(() => conv2d(x, ones([2, 3, 3, 3]), [1, 2, 3])).toThrow(/bias must be \[2\]/);
    expect(() => conv2d(ones([3, 5]), ones([2, 3, 3, 3]))).toThrow(ShapeError);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(/at most half the kernel size/);
    expect(() => maxPool2d(x, 6)).toThrow(ShapeError);
  });

  it('memory stays flat over repeated convolutions', () => {
    const x = randn([2, 3, 8, 8]);
    const w = randn([4, 3, 3, 3]);
    scope(() => conv2d(x, w));
    const before = memory();
    for (let i = 0; i < 10; i++) {
      scope(() => {
        const y = conv2d(x, w, undefined, { padding: 1 });
        conv2dBackwardInput(y, w, x.shape, { padding: 1 });
        conv2dBackwardWeight(x, y, w.shape, { padding: 1 });
      });
    }
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  });
});

function refPool(
  x: Tensor,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  pick: (vals: Array<[number, number]>) => [number, number],
): { out: number[]; arg: number[] } {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const xd = x.data();
  const oh = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  const out: number[] = [];
  const arg: number[] = [];
  for (let pl = 0; pl < n * c; pl++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const vals: Array<[number, number]> = [];
        for (let a = 0; a < k[0]; a++)
          for (let b = 0; b < k[1]; b++) {
            const ih = i * s[0] - p[0] + a;
            const iw = j * s[1] - p[1] + b;
            vals.push(ih < 0 || ih >= h || iw < 0 || iw >= w ? [Number.NaN, -1] : [xd[pl * h * w + ih * w + iw]!, ih * w + iw]);
          }
        const [v, at] = pick(vals);
        out.push(v);
        arg.push(at);
      }
  return { out, arg };
}

/** Pooling windows (kernel, stride, padding) the loop references are checked over. */
const POOL_GRID: Array<{ k: [number, number]; s: [number, number]; p: [number, number] }> = [
  { k: [2, 2], s: [2, 2], p: [0, 0] },
  { k: [3, 3], s: [2, 2], p: [1, 1] },
  { k: [3, 2], s: [1, 2], p: [1, 0] },
  { k: [2, 3], s: [3, 1], p: [0, 1] },
];

describe('pooling against a loop reference', () => {
  const grid = POOL_GRID;
  const firstMax = (vals: Array<[number, number]>): [number, number] => {
    let best: [number, number] = [Number.NEGATIVE_INFINITY, -1];
    for (const v of vals) if (v[1] >= 0 && v[0] > best[0]) best = v;
    return best;
  };

  it('maxPool2d values, indices and gradient', () => {
    manualSeed(11);
    for (const { k, s, p } of grid) {
      scope(() => {
        const x = randn([2, 3, 7, 9]);
        const { values, indices } = maxPool2dWithIndices(x, k, { stride: s, padding: p });
        const ref = refPool(x, k, s, p, firstMax);
        close(values.data(), ref.out, 0);
        expect(Array.from(indices.data())).toEqual(ref.arg);
        const dy = randn(values.shape as number[]);
        const dx = maxPool2dBackward(dy, indices, x.shape);
        const dxRef = new Array<number>(x.size).fill(0);
        const dyd = dy.data();
        ref.arg.forEach((at, i) => {
          const plane = Math.floor(i / (values.shape[2]! * values.shape[3]!));
          dxRef[plane * 63 + at]! += dyd[i]!;
        });
        close(dx.data(), dxRef);
      });
    }
  });

  it('maxPool2d 2×2 stride 2 (four windows at a time): ties, NaN and ±0 as the window loop takes them', () => {
    // 19 columns: two groups of four windows per row, then one window alone; values from a small
    // set so that windows tie, with NaNs and signed zeros among them
    const [n, c, h, w] = [2, 2, 6, 19];
    const pool = [0, -0, 1, 1, 2, Number.NaN, -1, 2];
    const data = Array.from({ length: n * c * h * w }, (_, i) => pool[(i * 7 + (i >> 3)) % pool.length]!);
    const x = tensor(data, { shape: [n, c, h, w] });
    const firstMaxOrNaN = (vals: Array<[number, number]>): [number, number] => {
      const nan = vals.find((v) => Number.isNaN(v[0]));
      if (nan) return nan;
      // the maximum (+0 over −0, as Math.max and the SIMD max take it) at the first tap equal to it
      const m = Math.max(...vals.map((v) => v[0]));
      return [m, vals.find((v) => v[0] === m)![1]];
    };
    const ref = refPool(x, [2, 2], [2, 2], [0, 0], firstMaxOrNaN);
    const { values, indices } = maxPool2dWithIndices(x, 2);
    const got = Array.from(values.data());
    expect(got.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(ref.out.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
    expect(Array.from(indices.data())).toEqual(ref.arg);
    expect(got.filter((v) => Number.isNaN(v)).length).toBeGreaterThan(4);
    const plain = Array.from(maxPool2d(x, 2).data());
    expect(plain.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(got.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
  });

  it('maxPool2d ties route the whole gradient to the first maximum', () => {
    const x = tensor([
      [
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ]);
    const { values, indices } = maxPool2dWithIndices(x, 2);
    expect(values.toArray()).toEqual([[[[1]]]]);
    expect(maxPool2dBackward(tensor([[[[3]]]]), indices, x.shape).toArray()).toEqual([
      [
        [
          [3, 0],
          [0, 0],
        ],
      ],
    ]);
    expect(
      maxPool2d(
        tensor([
          [
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
          ],
        ]),
        2,
      ).toArray(),
    ).toEqual([[[[5]]]]);
  });

  it('avgPool2d counts padding (divides by kH·kW) and its gradient spreads dy/(kH·kW)', () => {
    manualSeed(12);
    for (const { k, s, p } of grid) {
      scope(() => {
        const x = randn([1, 2, 7, 9]);
        const y = avgPool2d(x, k, { stride: s, padding: p });
        const ref = refPool(x, k, s, p, (vals) => [vals.reduce((a, v) => a + (v[1] >= 0 ? v[0] : 0), 0) / (k[0] * k[1]), 0]);
        close(y.data(), ref.out);
        // adjoint identity: <avgPool(x), dy> = <x, avgPoolBackward(dy)>
        const dy = randn(y.shape as number[]);
        const dx = avgPool2dBackward(dy, x.shape, k, { stride: s, padding: p });
        const lhs = y.mul(dy).sum().item();
        const rhs = x.mul(dx).sum().item();
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
      });
    }
    // a padded corner: (0 + 0 + 0 + 4)/4
    expect(
      (
        avgPool2d(
          tensor([
            [
              [
                [4, 8],
                [8, 8],
              ],
            ],
          ]),
          2,
          { stride: 2, padding: 1 },
        ).toArray() as number[][][][]
      )[0]![0]![0]![0],
    ).toBe(1);
  });

  it('adaptiveAvgPool2d matches PyTorch windows; its gradient is its adjoint', () => {
    manualSeed(13);
    scope(() => {
      const x = randn([2, 3, 7, 5]);
      const y = adaptiveAvgPool2d(x, [3, 2]);
      expect(y.shape).toEqual([2, 3, 3, 2]);
      const xd = x.data();
      const ref: number[] = [];
      for (let pl = 0; pl < 6; pl++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 2; j++) {
            const [h0, h1] = [Math.floor((i * 7) / 3), Math.ceil(((i + 1) * 7) / 3)];
            const [w0, w1] = [Math.floor((j * 5) / 2), Math.ceil(((j + 1) * 5) / 2)];
            let s = 0;
            for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) s += xd[pl * 35 + a * 5 + b]!;
            ref.push(s / ((h1 - h0) * (w1 - w0)));
          }
      close(y.data(), ref);
      const dy = randn([2, 3, 3, 2]);
      const dx = adaptiveAvgPool2dBackward(dy, x.shape);
      expect(Math.abs(y.mul(dy).sum().item() - x.mul(dx).sum().item())).toBeLessThan(1e-4);
    });
  });
});

describe('float64 pooling against a loop reference', () => {
  const grid: typeof POOL_GRID = [...POOL_GRID, { k: [5, 3], s: [2, 3], p: [2, 1] }];
  const opts = (s: [number, number], p: [number, number]) => ({ stride: s, padding: p });

  it('maxPool2d: values bit-exact, first-maximum indices, gradient summed where windows overlap', () => {
    manualSeed(21);
    for (const { k, s, p } of grid) {
      scope(() => {
        // values closer than float32 can tell apart: a float32 kernel would pick another maximum
        const x = randn([2, 3, 9, 7], { dtype: 'float64' }).mul(1e-9).add(1);
        const { values, indices } = maxPool2dWithIndices(x, k, opts(s, p));
        expect(values.dtype).toBe('float64');
        const pick = (vals: Array<[number, number]>): [number, number] => {
          let best: [number, number] = [Number.NEGATIVE_INFINITY, -1];
          for (const v of vals) if (v[1] >= 0 && v[0] > best[0]) best = v;
          return best;
        };
        const ref = refPool(x, k, s, p, pick);
        expect(Array.from(values.data())).toEqual(ref.out);
        expect(Array.from(indices.data())).toEqual(ref.arg);
        expect(maxPool2d(x, k, opts(s, p)).data()).toEqual(values.data());
        const dy = randn(values.shape as number[], { dtype: 'float64' });
        const dx = maxPool2dBackward(dy, indices, x.shape);
        expect(dx.dtype).toBe('float64');
        const dxRef = new Array<number>(x.size).fill(0);
        const dyd = dy.data();
        const per = values.shape[2]! * values.shape[3]!;
        ref.arg.forEach((at, i) => {
          dxRef[Math.floor(i / per) * 63 + at]! += dyd[i]!;
        });
        close(dx.data(), dxRef, 1e-15);
      });
    }
  });

  it('avgPool2d and its gradient, counting padding', () => {
    manualSeed(22);
    for (const { k, s, p } of grid) {
      scope(() => {
        const [h, w] = [9, 7];
        const x = randn([2, 2, h, w], { dtype: 'float64' });
        const y = avgPool2d(x, k, opts(s, p));
        expect(y.dtype).toBe('float64');
        const area = k[0] * k[1];
        const ref = refPool(x, k, s, p, (vals) => [vals.reduce((a, v) => a + (v[1] >= 0 ? v[0] : 0), 0) / area, 0]);
        close(y.data(), ref.out, 1e-14);
        // dx[window] += dy/(kH·kW), written out window by window
        const dy = randn(y.shape as number[], { dtype: 'float64' });
        const dx = avgPool2dBackward(dy, x.shape, k, opts(s, p));
        expect(dx.dtype).toBe('float64');
        const [oh, ow] = [y.shape[2]!, y.shape[3]!];
        const dyd = dy.data();
        const dxRef = new Array<number>(x.size).fill(0);
        for (let pl = 0; pl < 4; pl++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++)
              for (let a = 0; a < k[0]; a++)
                for (let b = 0; b < k[1]; b++) {
                  const ih = i * s[0] - p[0] + a;
                  const iw = j * s[1] - p[1] + b;
                  if (ih >= 0 && ih < h && iw >= 0 && iw < w) dxRef[pl * h * w + ih * w + iw]! += dyd[(pl * oh + i) * ow + j]! / area;
                }
        close(dx.data(), dxRef, 1e-14);
      });
    }
  });

  it('adaptiveAvgPool2d and its gradient, PyTorch windows', () => {
    manualSeed(23);
    for (const [h, w, oh, ow] of [
      [7, 5, 3, 2],
      [6, 6, 4, 4],
      [5, 9, 5, 1],
      [4, 3, 7, 5],
    ] as const) {
      scope(() => {
        const x = randn([2, 3, h, w], { dtype: 'float64' });
        const y = adaptiveAvgPool2d(x, [oh, ow]);
        expect(y.dtype).toBe('float64');
        const xd = x.data();
        const dy = randn([2, 3, oh, ow], { dtype: 'float64' });
        const dyd = dy.data();
        const ref: number[] = [];
        const dxRef = new Array<number>(x.size).fill(0);
        for (let pl = 0; pl < 6; pl++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) {
              const [h0, h1] = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)];
              const [w0, w1] = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)];
              const area = (h1 - h0) * (w1 - w0);
              let s = 0;
              for (let a = h0; a < h1; a++)
                for (let b = w0; b < w1; b++) {
                  s += xd[pl * h * w + a * w + b]!;
                  dxRef[pl * h * w + a * w + b]! += dyd[(pl * oh + i) * ow + j]! / area;
                }
              ref.push(s / area);
            }
        close(y.data(), ref, 1e-14);
        const dx = adaptiveAvgPool2dBackward(dy, x.shape);
        expect(dx.dtype).toBe('float64');
        close(dx.data(), dxRef, 1e-14);
      });
    }
  });
});

describe('mixed dtypes in convolution and pooling promote like every other op', () => {
  it('float32 ⊕ float64 → float64, computed on the exact float64 values', () => {
    manualSeed(24);
    scope(() => {
      const x32 = randn([2, 3, 6, 5]);
      const w64 = randn([4, 3, 3, 2], { dtype: 'float64' });
      const b64 = randn([4], { dtype: 'float64' });
      const y = conv2d(x32, w64, b64, { padding: 1 });
      expect(y.dtype).toBe('float64');
      // the float32 input joins exactly (every float32 is a float64)
      expect(y.data()).toEqual(conv2d(x32.cast('float64'), w64, b64, { padding: 1 }).data());
      // a float32 bias on a float64 convolution, a float64 input with float32 weights
      expect(conv2d(x32.cast('float64'), w64.cast('float32'), b64.cast('float32')).dtype).toBe('float64');
      expect(convTranspose2d(y, w64.cast('float32'), undefined, { padding: 1 }).dtype).toBe('float64');
      // JS arrays take the tensors' dtype
      expect(conv2d(x32, [[[[1]], [[2]], [[3]]]]).dtype).toBe('float32');
      expect(conv2d(x32.cast('float64'), [[[[1]], [[2]], [[3]]]]).dtype).toBe('float64');
    });
  });

  it('a global average pool of a 1000×1000 plane sums pairwise: float64 to 1e-6 (a running sum was 2e-5 off)', () => {
    const n = 1000 * 1000;
    const xs = new Float32Array(n);
    let seed = 5;
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      xs[i] = 0.1 + seed / 2 ** 32;
    }
    let want = 0;
    for (const v of xs) want += v;
    want /= n;
    scope(() => {
      const x = tensor(xs).reshape([1, 1, 1000, 1000]);
      for (const [name, got] of [
        ['adaptiveAvgPool2d', adaptiveAvgPool2d(x, 1).item()],
        ['avgPool2d', avgPool2d(x, 1000).item()],
        ['adaptiveAvgPool2d of the top 500 rows', adaptiveAvgPool2d(x.slice([0, 0, 0, 0], [1, 1, 500, 1000]), 1).item()],
      ] as const) {
        const ref = name.endsWith('500 rows') ? xs.subarray(0, n / 2).reduce((a, v) => a + v, 0) / (n / 2) : want;
        const err = Math.abs(got - ref) / ref;
        expect(err <= 1e-6, `${name}: ${got} vs ${ref} (relative error ${err})`).toBe(true);
      }
    });
  });

  it('int32 operands are a DTypeError, as in PyTorch (in float32, 16777217 became 16777216)', () => {
    const xi = tensor(
      [
        [
          [
            [16777217, 1],
            [2, 3],
          ],
        ],
      ],
      { dtype: 'int32' },
    );
    const wi = tensor([[[[1]]]], { dtype: 'int32' });
    const w = tensor([[[[1]]]]);
    const x = tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    const bi = tensor([1], { dtype: 'int32' });
    const int32 = /is int32; convolution and pooling compute in float32 or float64/;
    fails(() => conv2d(xi, w), DTypeError, /conv2d: input \[1,1,2,2\] is int32/);
    fails(() => conv2d(x, wi), DTypeError, /conv2d: weight \[1,1,1,1\] is int32/);
    fails(() => conv2d(x, w, bi), DTypeError, /conv2d: bias \[1\] is int32/);
    fails(() => conv2d(xi, wi), DTypeError, int32);
    fails(() => conv2d(new Int32Array([1, 2, 3, 4]) as never, w), DTypeError, int32);
    fails(() => convTranspose2d(xi, w), DTypeError, /convTranspose2d: input \[1,1,2,2\] is int32/);
    fails(() => maxPool2d(xi, 2), DTypeError, /maxPool2d: input \[1,1,2,2\] is int32/);
    fails(() => maxPool2dWithIndices(xi, 2), DTypeError, int32);
    fails(() => avgPool2d(xi, 2), DTypeError, /avgPool2d: input \[1,1,2,2\] is int32/);
    fails(() => adaptiveAvgPool2d(xi, 1), DTypeError, /adaptiveAvgPool2d: input \[1,1,2,2\] is int32/);
    // cast first, and the numbers are float32's
    expect(maxPool2d(xi.cast('float32'), 2).item()).toBe(16777216);
    expect(maxPool2d(xi.cast('float64'), 2).item()).toBe(16777217);
    for (const t of [xi, wi, w, x, bi]) t.dispose();
  });

  it('memory stays flat over float64 and mixed convolutions and pooling', () => {
    const x = randn([2, 3, 8, 8], { dtype: 'float64' });
    const w = randn([4, 3, 3, 3]);
    const run = () =>
      scope(() => {
        const y = conv2d(x, w, undefined, { padding: 1 });
        conv2dBackwardInput(y, w, x.shape, { padding: 1 });
        conv2dBackwardWeight(x, y, w.shape, { padding: 1 });
        const { values, indices } = maxPool2dWithIndices(y, 2);
        maxPool2dBackward(values, indices, y.shape);
        avgPool2dBackward(avgPool2d(y, 2), y.shape, 2);
        adaptiveAvgPool2dBackward(adaptiveAvgPool2d(y, 3), y.shape);
      });
    run();
    const before = memory();
    for (let i = 0; i < 10; i++) run();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  });
});
