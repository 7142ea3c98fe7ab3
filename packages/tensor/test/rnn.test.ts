// The fused LSTM and GRU cells and their backward kernels, against a plain-JS float64 reference of
// PyTorch's formulas: float64 to 1e-12, float32 (the four-lane path with expf4, and the scalar
// tail when hidden is not a multiple of 4) to 1e-5. Bad shapes and dtypes are typed errors.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { gruCellBackward, lstmCellBackward } from '../src/grad.js';
import { DTypeError, GdError, gruCell, lstmCell, manualSeed, memory, randn, ShapeError, scope, type Tensor, tensor } from '../src/index.js';

const fails = failsWith(memory, GdError);
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** LSTM reference: out [2, n, H] (h', c'), and the backward's dGates [n, 4H] and dc [n, H]. */
function lstmRef(xg: number[], hg: number[], c: number[], gy: number[], n: number, H: number) {
  const out = new Array<number>(2 * n * H);
  const dg = new Array<number>(4 * n * H);
  const dc = new Array<number>(n * H);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < H; j++) {
      const a = (k: number) => xg[b * 4 * H + k * H + j]! + hg[b * 4 * H + k * H + j]!;
      const [i, f, g, o] = [sig(a(0)), sig(a(1)), Math.tanh(a(2)), sig(a(3))];
      const cp = c[b * H + j]!;
      const cn = f * cp + i * g;
      const tc = Math.tanh(cn);
      out[b * H + j] = o * tc;
      out[n * H + b * H + j] = cn;
      const dh = gy[b * H + j]!;
      const dct = gy[n * H + b * H + j]! + dh * o * (1 - tc * tc);
      dg[b * 4 * H + j] = dct * g * i * (1 - i);
      dg[b * 4 * H + H + j] = dct * cp * f * (1 - f);
      dg[b * 4 * H + 2 * H + j] = dct * i * (1 - g * g);
      dg[b * 4 * H + 3 * H + j] = dh * tc * o * (1 - o);
      dc[b * H + j] = dct * f;
    }
  }
  return { out, dg, dc };
}

/** GRU reference: h' [n, H], and the backward's dxg, dhg [n, 3H] and dh [n, H]. */
function gruRef(xg: number[], hg: number[], h: number[], gy: number[], n: number, H: number) {
  const out = new Array<number>(n * H);
  const dxg = new Array<number>(3 * n * H);
  const dhg = new Array<number>(3 * n * H);
  const dh = new Array<number>(n * H);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < H; j++) {
      const at = (k: number) => b * 3 * H + k * H + j;
      const r = sig(xg[at(0)]! + hg[at(0)]!);
      const z = sig(xg[at(1)]! + hg[at(1)]!);
      const hn = hg[at(2)]!;
      const nn = Math.tanh(xg[at(2)]! + r * hn);
      const hp = h[b * H + j]!;
      out[b * H + j] = (1 - z) * nn + z * hp;
      const g = gy[b * H + j]!;
      const dn = g * (1 - z) * (1 - nn * nn);
      const dr = dn * hn * r * (1 - r);
      const dz = g * (hp - nn) * z * (1 - z);
      dxg[at(0)] = dhg[at(0)] = dr;
      dxg[at(1)] = dhg[at(1)] = dz;
      dxg[at(2)] = dn;
      dhg[at(2)] = dn * r;
      dh[b * H + j] = g * z;
    }
  }
  return { out, dxg, dhg, dh };
}

/** Max |a − b| / max(|b|, 1); NaN (which fails every `<`) if lengths differ or a value is NaN. */
function err(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.NaN : e;
    if (Number.isNaN(worst)) return worst;
  }
  return worst;
}

const values = (t: Tensor) => Array.from(t.data());

describe('lstmCell and gruCell', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    // hidden 8: four-lane path only; 7: four lanes and a scalar tail of 3; 2: the tail only
    for (const H of [8, 7, 2]) {
      it(`lstmCell ${dtype}, hidden ${H}: forward and backward match the reference to ${tol}`, () => {
        manualSeed(3);
        scope(() => {
          const n = 3;
          // pre-activations up to ±6 reach the saturated ends of σ and tanh
          const [xg, hg] = [randn([n, 4 * H], { dtype: 'float64' }).mul(3), randn([n, 4 * H], { dtype: 'float64' })];
          const [c, gy] = [randn([n, H], { dtype: 'float64' }), randn([2, n, H], { dtype: 'float64' })];
          const ref = lstmRef(values(xg), values(hg), values(c), values(gy), n, H);
          const [x, r, s, g] = [xg, hg, c, gy].map((t) => t.cast(dtype)) as [Tensor, Tensor, Tensor, Tensor];
          const y = lstmCell(x, r, s);
          expect(y.shape).toEqual([2, n, H]);
          expect(y.dtype).toBe(dtype);
          // the float32 inputs are rounded: the reference of float32 runs on the rounded values
          const want = dtype === 'float64' ? ref : lstmRef(values(x), values(r), values(s), values(g), n, H);
          expect(err(values(y), want.out)).toBeLessThan(tol);
          const [dg, dc] = lstmCellBackward(g, x, r, s, y);
          expect(err(values(dg), want.dg)).toBeLessThan(tol);
          expect(err(values(dc), want.dc)).toBeLessThan(tol);
        });
      });
      it(`gruCell ${dtype}, hidden ${H}: forward and backward match the reference to ${tol}`, () => {
        manualSeed(4);
        scope(() => {
          const n = 3;
          const [xg, hg] = [randn([n, 3 * H], { dtype: 'float64' }).mul(3), randn([n, 3 * H], { dtype: 'float64' }).mul(2)];
          const [h, gy] = [randn([n, H], { dtype: 'float64' }), randn([n, H], { dtype: 'float64' })];
          const [x, r, s, g] = [xg, hg, h, gy].map((t) => t.cast(dtype)) as [Tensor, Tensor, Tensor, Tensor];
          const want = gruRef(values(x), values(r), values(s), values(g), n, H);
          const y = gruCell(x, r, s);
          expect(y.shape).toEqual([n, H]);
          expect(err(values(y), want.out)).toBeLessThan(tol);
          const [dxg, dhg, dh] = gruCellBackward(g, x, r, s);
          expect(err(values(dxg), want.dxg)).toBeLessThan(tol);
          expect(err(values(dhg), want.dhg)).toBeLessThan(tol);
          expect(err(values(dh), want.dh)).toBeLessThan(tol);
        });
      });
    }
  }

  it('saturate without NaN at large pre-activations, in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      scope(() => {
        // H = 2, gates i, f, g, o = (1, 0), (1, 0), (−1, 1), (1, 1): c' = 1·0.5 + 1·(−1) = −0.5 and
        // 0·(−0.5) + 0·1 = 0, h' = tanh(c')
        const a = tensor([[1e4, -1e4, 1e4, -1e4, -1e4, 1e4, 1e4, 1e4]], { dtype });
        const y = lstmCell(a, tensor([[0, 0, 0, 0, 0, 0, 0, 0]], { dtype }), tensor([[0.5, -0.5]], { dtype }));
        expect(err(values(y), [Math.tanh(-0.5), 0, -0.5, 0])).toBeLessThan(1e-6);
        // GRU, H = 1: r = 1, z = 0, n = tanh(1e4 + 1·(−1e4 + 0.25))... saturated gates, finite n
        const g = gruCell(tensor([[1e4, -1e4, 0.5]], { dtype }), tensor([[0, 0, -0.25]], { dtype }), tensor([[3]], { dtype }));
        expect(err(values(g), [Math.tanh(0.25)])).toBeLessThan(1e-6);
      });
    }
  });

  it('rejects mismatched shapes and int32 operands with typed errors naming the op', () => {
    const [a28, a24, a23, a22, a2, a26, a32] = [[2, 8], [2, 4], [2, 3], [2, 2], [2], [2, 6], [3, 2]].map((s) => randn(s)) as Tensor[];
    const i12 = tensor([[1, 2]], { dtype: 'int32' });
    fails(
      () => lstmCell(a28!, a28!, a23!),
      ShapeError,
      /lstmCell: xg and hg must be \[2,12\] \(n, 4·hidden\) for c \[2,3\], got \[2,8\] and \[2,8\]/,
    );
    fails(() => lstmCell(a28!, a24!, a22!), ShapeError, /lstmCell: xg and hg must be \[2,8\]/);
    fails(() => lstmCell(a28!, a28!, a2!), ShapeError, /lstmCell: c must be \[n, hidden\], got \[2\]/);
    fails(() => gruCell(a26!, a26!, a32!), ShapeError, /gruCell: xg and hg must be \[3,6\] \(n, 3·hidden\) for h \[3,2\]/);
    fails(() => gruCell(a26!, a26!, i12), DTypeError, /gruCell: needs float32 or float64 operands, got int32 \[1,2\]/);
    for (const t of [a28, a24, a23, a22, a2, a26, a32, i12]) t!.dispose();
  });
});
