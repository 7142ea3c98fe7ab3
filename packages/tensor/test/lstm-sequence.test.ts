// lstmSequence (an LSTM layer's whole recurrence in one op) and its backpropagation through time,
// against a plain-JS float64 reference of PyTorch's formulas run step by step: float64 to 1e-12,
// float32 (the four-lane kernels, and the scalar tail when hidden is not a multiple of 4) to 1e-5;
// forward and reverse, one step and several. Bad shapes and a y not made by lstmSequence are typed
// errors.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { lstmSequenceBackward } from '../src/grad.js';
import {
  DTypeError,
  GdError,
  lstmSequence,
  manualSeed,
  memory,
  randn,
  ShapeError,
  StateError,
  scope,
  type Tensor,
  tensor,
} from '../src/index.js';

const fails = failsWith(memory, GdError);
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const values = (t: Tensor) => Array.from(t.data());

/**
 * The reference: y [2, T, n, H] (every h, then every c) from xg [T, n, 4H], W_hh [4H, H], h0, c0,
 * and from gy [2, T, n, H] the gradients of xg, W_hh, h0 and c0, by BPTT one step at a time.
 */
function sequenceRef(
  xg: number[],
  w: number[],
  h0: number[],
  c0: number[],
  gy: number[],
  T: number,
  n: number,
  H: number,
  reverse: boolean,
) {
  const S = n * H;
  const y = new Array<number>(2 * T * S).fill(0);
  const acts: number[][] = [];
  const order = Array.from({ length: T }, (_, i) => (reverse ? T - 1 - i : i));
  const hPrevOf = (i: number) => (i === 0 ? h0 : y.slice(order[i - 1]! * S, (order[i - 1]! + 1) * S));
  const cPrevOf = (i: number) => (i === 0 ? c0 : y.slice((T + order[i - 1]!) * S, (T + order[i - 1]! + 1) * S));
  for (let i = 0; i < T; i++) {
    const t = order[i]!;
    const [hp, cp] = [hPrevOf(i), cPrevOf(i)];
    const act = new Array<number>(4 * S);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < H; j++) {
        const a = (k: number) => {
          let s = xg[t * 4 * S + b * 4 * H + k * H + j]!;
          for (let q = 0; q < H; q++) s += hp[b * H + q]! * w[(k * H + j) * H + q]!;
          return s;
        };
        const [gi, gf, gg, go] = [sig(a(0)), sig(a(1)), Math.tanh(a(2)), sig(a(3))];
        [act[b * 4 * H + j], act[b * 4 * H + H + j], act[b * 4 * H + 2 * H + j], act[b * 4 * H + 3 * H + j]] = [gi, gf, gg, go];
        const cn = gf * cp[b * H + j]! + gi * gg;
        y[(T + t) * S + b * H + j] = cn;
        y[t * S + b * H + j] = go * Math.tanh(cn);
      }
    }
    acts[t] = act;
  }
  const dxg = new Array<number>(4 * T * S).fill(0);
  const dw = new Array<number>(4 * H * H).fill(0);
  let dh = new Array<number>(S).fill(0);
  let dc = new Array<number>(S).fill(0);
  for (let i = T - 1; i >= 0; i--) {
    const t = order[i]!;
    const [hp, cp] = [hPrevOf(i), cPrevOf(i)];
    const act = acts[t]!;
    const dhPrev = new Array<number>(S).fill(0);
    const dcPrev = new Array<number>(S).fill(0);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < H; j++) {
        const [gi, gf, gg, go] = [0, 1, 2, 3].map((k) => act[b * 4 * H + k * H + j]!) as [number, number, number, number];
        const tc = Math.tanh(y[(T + t) * S + b * H + j]!);
        const dhk = gy[t * S + b * H + j]! + dh[b * H + j]!;
        const dct = gy[(T + t) * S + b * H + j]! + dc[b * H + j]! + dhk * go * (1 - tc * tc);
        const da = [dct * gg * gi * (1 - gi), dct * cp[b * H + j]! * gf * (1 - gf), dct * gi * (1 - gg * gg), dhk * tc * go * (1 - go)];
        dcPrev[b * H + j] = dct * gf;
        for (let k = 0; k < 4; k++) {
          dxg[t * 4 * S + b * 4 * H + k * H + j] = da[k]!;
          for (let q = 0; q < H; q++) {
            dhPrev[b * H + q] = dhPrev[b * H + q]! + da[k]! * w[(k * H + j) * H + q]!;
            dw[(k * H + j) * H + q] = dw[(k * H + j) * H + q]! + da[k]! * hp[b * H + q]!;
          }
        }
      }
    }
    dh = dhPrev;
    dc = dcPrev;
  }
  return { y, dxg, dw, dh0: dh, dc0: dc };
}

/** Max |a − b| / max(|b|, 1); NaN (which fails every `<`) if lengths differ or a value is NaN. */
function err(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1);
    if (Number.isNaN(e)) return Number.NaN;
    worst = Math.max(worst, e);
  }
  return worst;
}

describe('lstmSequence', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    // hidden 8: four lanes only; 5: four lanes and a scalar tail of 1
    for (const H of [8, 5]) {
      for (const T of [1, 4]) {
        for (const reverse of [false, true]) {
          it(`${dtype}, hidden ${H}, ${T} step(s)${reverse ? ', reverse' : ''}: forward and BPTT match the step-by-step reference to ${tol}`, () => {
            manualSeed(5 + H + T);
            scope(() => {
              const n = 3;
              const f64 = { dtype: 'float64' } as const;
              const ins = [randn([T, n, 4 * H], f64).mul(2), randn([4 * H, H], f64).mul(0.5), randn([n, H], f64), randn([n, H], f64)];
              const gy = randn([2, T, n, H], f64);
              const [xg, w, h0, c0, g] = [...ins, gy].map((t) => t.cast(dtype)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
              // the float32 inputs are rounded: its reference runs on the rounded values
              const ref = sequenceRef(values(xg), values(w), values(h0), values(c0), values(g), T, n, H, reverse);
              const y = lstmSequence(xg, w, h0, c0, { reverse });
              expect(y.shape).toEqual([2, T, n, H]);
              expect(y.dtype).toBe(dtype);
              expect(err(values(y), ref.y)).toBeLessThan(tol);
              const [dxg, dw, dh0, dc0] = lstmSequenceBackward(g, w, h0, c0, y, reverse, { whh: true, h0: true, c0: true });
              expect(dxg.shape).toEqual([T, n, 4 * H]);
              expect(err(values(dxg), ref.dxg)).toBeLessThan(tol);
              expect(err(values(dw!), ref.dw)).toBeLessThan(tol);
              expect(err(values(dh0!), ref.dh0)).toBeLessThan(tol);
              expect(err(values(dc0!), ref.dc0)).toBeLessThan(tol);
              // what is not asked for is not computed, and the rest is unchanged
              const [dxg2, none, noH, dc2] = lstmSequenceBackward(g, w, h0, c0, y, reverse, { whh: false, h0: false, c0: true });
              expect([none, noH]).toEqual([null, null]);
              expect(err(values(dxg2), ref.dxg)).toBeLessThan(tol);
              expect(err(values(dc2!), ref.dc0)).toBeLessThan(tol);
            });
          });
        }
      }
    }
  }

  it('frees everything but its result (the gate activations live in the result’s memory)', () => {
    manualSeed(1);
    const ins = [randn([3, 2, 16]), randn([16, 4]), randn([2, 4]), randn([2, 4])];
    const before = memory();
    const y = lstmSequence(ins[0]!, ins[1]!, ins[2]!, ins[3]!);
    expect(memory().tensors).toBe(before.tensors + 1);
    // the block holds [2, 3, 2, 4] outputs and [3, 2, 16] activations
    expect(memory().bytesInUse - before.bytesInUse).toBeGreaterThanOrEqual((2 * 3 * 2 * 4 + 3 * 2 * 16) * 4);
    y.dispose();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    for (const t of ins) t.dispose();
  });

  it('rejects mismatched shapes, int32 operands and a y it did not make, with typed errors naming the op', () => {
    const [x, w, h, c] = [randn([3, 2, 16]), randn([16, 4]), randn([2, 4]), randn([2, 4])] as [Tensor, Tensor, Tensor, Tensor];
    const [w5, x15, h3, h12, i24] = [
      randn([16, 5]),
      randn([3, 2, 15]),
      randn([3, 4]),
      randn([12]),
      tensor(
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        { dtype: 'int32' },
      ),
    ];
    fails(() => lstmSequence(x, w5, h, c), ShapeError, /lstmSequence: whh must be \[16, 4\] \(4·hidden, hidden\), got \[16,5\]/);
    fails(() => lstmSequence(x15, w, h, c), ShapeError, /lstmSequence: xg must be \[steps, 2, 16\] \(steps, n, 4·hidden\), got \[3,2,15\]/);
    fails(() => lstmSequence(x, w, h, h3), ShapeError, /lstmSequence: c0 must be \[2,4\] as h0, got \[3,4\]/);
    fails(() => lstmSequence(x, w, h12, c), ShapeError, /lstmSequence: h0 must be \[n, hidden\], got \[12\]/);
    fails(() => lstmSequence(x, w, i24, c), DTypeError, /lstmSequence: needs float32 or float64 operands, got int32 \[2,4\]/);
    // a tensor of the right shape that lstmSequence did not make holds no gate activations
    const fake = randn([2, 3, 2, 4]);
    fails(
      () => lstmSequenceBackward(fake, w, h, c, fake, false, { whh: true, h0: true, c0: true }),
      StateError,
      /lstmSequenceBackward: y \[2,3,2,4\] is not an output of lstmSequence/,
    );
    for (const t of [x, w, h, c, w5, x15, h3, h12, i24, fake]) t.dispose();
  });
});
