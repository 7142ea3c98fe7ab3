import { gradcheck, type Variable } from '@gd/autograd';
import { axpyInPlace, DTypeError, manualSeed, memory, randn, scope, type Tensor, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Embedding,
  Flatten,
  LayerNorm,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
} from '../src/index.js';

const arr = (t: Tensor) => Array.from(t.data());

describe('every layer takes { dtype }', () => {
  const layers: Array<[string, (dtype: 'float32' | 'float64') => Module]> = [
    ['Linear', (dtype) => new Linear(5, 3, { dtype })],
    ['Conv2d', (dtype) => new Conv2d(4, 6, [3, 2], { groups: 2, dtype })],
    ['BatchNorm1d', (dtype) => new BatchNorm1d(4, { dtype })],
    ['BatchNorm2d', (dtype) => new BatchNorm2d(4, { dtype })],
    ['LayerNorm', (dtype) => new LayerNorm([2, 3], { dtype })],
    ['Embedding', (dtype) => new Embedding(7, 3, { dtype })],
  ];
  for (const [name, make] of layers) {
    it(`${name}: float64 parameters and float buffers; the init of float32, in float64`, () => {
      manualSeed(1);
      const m32 = make('float32');
      manualSeed(1);
      const m64 = make('float64');
      expect(m64.dtype).toBe('float64');
      expect(m32.dtype).toBe('float32');
      for (const p of m64.parameters()) expect(p.dtype).toBe('float64');
      for (const [k, t] of m64.namedBuffers()) expect(t.dtype).toBe(k === 'num_batches_tracked' ? 'int32' : 'float64');
      // float64 init takes the same uniform draws and scales them in float64 (float32 scales in
      // float32, a few roundings): the two agree to float32 precision
      m64.parameters().forEach((p, i) => {
        const a = arr(m32.parameters()[i]!.value);
        const bound = Math.max(...a.map(Math.abs));
        arr(p.value).forEach((v, j) => {
          expect(Math.abs(v - a[j]!)).toBeLessThanOrEqual(2 ** -21 * bound);
        });
      });
      expect(() => make('int32' as never)).toThrow(DTypeError);
      expect(() => make('int32' as never)).toThrow(new RegExp(`${name}: dtype int32 is not float32 or float64`));
      m32.dispose();
      m64.dispose();
    });
  }

  it('float64 layers compute in float64 and their gradients check tightly', () => {
    manualSeed(2);
    scope(() => {
      const bn = new BatchNorm2d(3, { dtype: 'float64' });
      const ln = new LayerNorm([3, 4], { dtype: 'float64' });
      const x = randn([2, 3, 3, 4], { dtype: 'float64' });
      expect(bn.forward(x).dtype).toBe('float64');
      expect(ln.forward(x).dtype).toBe('float64');
      const weights = randn([2, 3, 3, 4], { dtype: 'float64' });
      for (const layer of [bn, ln]) {
        const r = gradcheck((a) => layer.forward(a).mul(weights), [x]);
        expect(r.dtype).toBe('float64');
        expect(r.ok, JSON.stringify(r)).toBe(true);
        expect(r.maxRelError, JSON.stringify(r)).toBeLessThan(1e-6);
      }
      const emb = new Embedding(5, 2, { dtype: 'float64' });
      const ids = tensor([[1, 4, 1]], { dtype: 'int32' });
      const y = emb.forward(ids);
      expect(y.dtype).toBe('float64');
      y.mul(
        tensor(
          [
            [
              [1, 2],
              [3, 4],
              [5, 6],
            ],
          ],
          { dtype: 'float64' },
        ),
      )
        .sum()
        .backward();
      expect(emb.weight.grad!.dtype).toBe('float64');
      expect(arr(emb.weight.grad!)).toEqual([0, 0, 6, 8, 0, 0, 0, 0, 3, 4]);
      for (const m of [bn, ln, emb]) m.dispose();
    });
  });

  it('a float64 batch through a float32 BatchNorm keeps its running statistics float32', () => {
    const bn = new BatchNorm1d(2);
    const y = bn.forward(
      tensor(
        [
          [1, 2],
          [3, 6],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(y.dtype).toBe('float64');
    expect(bn.buffer('running_mean').dtype).toBe('float32');
    expect(arr(bn.buffer('running_mean'))).toEqual([Math.fround(0.2), Math.fround(0.4)]);
    bn.dispose();
  });
});

// ── one SGD step of a small float64 CNN against a plain-JS float64 reference ─────────────────

interface Net {
  w: number[]; // conv [O, C, 3, 3]
  b: number[];
  gamma: number[];
  beta: number[];
  W: number[]; // linear [K, O·P·P]
  B: number[];
}

/**
 * conv 3×3 (padding 1) C→O, BatchNorm2d (training), ReLU, max-pool 2, flatten, linear → K, and
 * the mean squared error against t — forward and hand-written backward, in float64.
 */
function referenceStep(
  x: number[],
  t: number[],
  net: Net,
  dims: { N: number; C: number; H: number; O: number; K: number },
  eps: number,
): { loss: number; grads: Net; mean: number[]; unbiasedVar: number[] } {
  const { N, C, H, O, K } = dims;
  const P = H / 2;
  const F = O * P * P;
  const at4 = (n: number, c: number, i: number, j: number, ch: number) => ((n * ch + c) * H + i) * H + j;
  // conv
  const y = new Array<number>(N * O * H * H).fill(0);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < H; j++) {
          let s = net.b[o]!;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < 3; a++)
              for (let bb = 0; bb < 3; bb++) {
                const ii = i + a - 1;
                const jj = j + bb - 1;
                if (ii < 0 || ii >= H || jj < 0 || jj >= H) continue;
                s += net.w[((o * C + c) * 3 + a) * 3 + bb]! * x[at4(n, c, ii, jj, C)]!;
              }
          y[at4(n, o, i, j, O)] = s;
        }
  // batch norm (biased variance in the normalisation)
  const M = N * H * H;
  const mean = new Array<number>(O).fill(0);
  const vari = new Array<number>(O).fill(0);
  for (let o = 0; o < O; o++) {
    for (let n = 0; n < N; n++) for (let q = 0; q < H * H; q++) mean[o]! += y[(n * O + o) * H * H + q]!;
    mean[o]! /= M;
    for (let n = 0; n < N; n++) for (let q = 0; q < H * H; q++) vari[o]! += (y[(n * O + o) * H * H + q]! - mean[o]!) ** 2;
    vari[o]! /= M;
  }
  const sd = vari.map((v) => Math.sqrt(v + eps));
  const xhat = y.map((v, i) => (v - mean[Math.floor(i / (H * H)) % O]!) / sd[Math.floor(i / (H * H)) % O]!);
  const z = xhat.map((v, i) => v * net.gamma[Math.floor(i / (H * H)) % O]! + net.beta[Math.floor(i / (H * H)) % O]!);
  const r = z.map((v) => Math.max(v, 0));
  // max-pool 2 (first maximum in window order)
  const p = new Array<number>(N * F).fill(0);
  const arg = new Array<number>(N * F).fill(0);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < P; i++)
        for (let j = 0; j < P; j++) {
          let best = -1;
          for (let a = 0; a < 2; a++)
            for (let bb = 0; bb < 2; bb++) {
              const k = at4(n, o, 2 * i + a, 2 * j + bb, O);
              if (best < 0 || r[k]! > r[best]!) best = k;
            }
          const f = (n * O + o) * P * P + i * P + j;
          p[f] = r[best]!;
          arg[f] = best;
        }
  // linear and loss
  const out = new Array<number>(N * K).fill(0);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      let s = net.B[k]!;
      for (let f = 0; f < F; f++) s += p[n * F + f]! * net.W[k * F + f]!;
      out[n * K + k] = s;
    }
  const loss = out.reduce((a, v, i) => a + (v - t[i]!) ** 2, 0) / out.length;
  // backward
  const dout = out.map((v, i) => (2 * (v - t[i]!)) / out.length);
  const dW = new Array<number>(K * F).fill(0);
  const dB = new Array<number>(K).fill(0);
  const dp = new Array<number>(N * F).fill(0);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const g = dout[n * K + k]!;
      dB[k]! += g;
      for (let f = 0; f < F; f++) {
        dW[k * F + f]! += g * p[n * F + f]!;
        dp[n * F + f]! += g * net.W[k * F + f]!;
      }
    }
  const dz = new Array<number>(r.length).fill(0);
  arg.forEach((k, f) => {
    dz[k]! += dp[f]!;
  });
  for (let i = 0; i < dz.length; i++) if (!(z[i]! > 0)) dz[i] = 0;
  const dgamma = new Array<number>(O).fill(0);
  const dbeta = new Array<number>(O).fill(0);
  const sumD = new Array<number>(O).fill(0);
  const sumDX = new Array<number>(O).fill(0);
  dz.forEach((g, i) => {
    const o = Math.floor(i / (H * H)) % O;
    dgamma[o]! += g * xhat[i]!;
    dbeta[o]! += g;
    sumD[o]! += g * net.gamma[o]!;
    sumDX[o]! += g * net.gamma[o]! * xhat[i]!;
  });
  // dy = (M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) / (M·σ)
  const dy = dz.map((g, i) => {
    const o = Math.floor(i / (H * H)) % O;
    return (M * g * net.gamma[o]! - sumD[o]! - xhat[i]! * sumDX[o]!) / (M * sd[o]!);
  });
  const dw = new Array<number>(net.w.length).fill(0);
  const db = new Array<number>(O).fill(0);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < H; j++) {
          const g = dy[at4(n, o, i, j, O)]!;
          db[o]! += g;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < 3; a++)
              for (let bb = 0; bb < 3; bb++) {
                const ii = i + a - 1;
                const jj = j + bb - 1;
                if (ii < 0 || ii >= H || jj < 0 || jj >= H) continue;
                dw[((o * C + c) * 3 + a) * 3 + bb]! += g * x[at4(n, c, ii, jj, C)]!;
              }
        }
  return {
    loss,
    grads: { w: dw, b: db, gamma: dgamma, beta: dbeta, W: dW, B: dB },
    mean,
    unbiasedVar: vari.map((v) => (v * M) / (M - 1)),
  };
}

/** max |actual − expected| relative to the largest |expected|. */
function relClose(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / scale);
  expect(worst).toBeLessThan(tol);
}

describe('a float64 CNN', () => {
  it('one SGD step equals a plain-JS float64 reference (loss, parameters, running statistics)', () => {
    manualSeed(11);
    const dims = { N: 3, C: 2, H: 6, O: 3, K: 4 };
    const net = new Sequential(
      new Conv2d(dims.C, dims.O, 3, { padding: 1, dtype: 'float64' }),
      new BatchNorm2d(dims.O, { dtype: 'float64' }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(dims.O * 9, dims.K, { dtype: 'float64' }),
    );
    // affine parameters away from their ones/zeros init, so their gradients matter
    const bn = (net as unknown as { 1: BatchNorm2d })[1];
    bn.weight!.value.bytesView().set(new Uint8Array(new Float64Array([1.5, 0.7, -1.2]).buffer));
    bn.bias!.value.bytesView().set(new Uint8Array(new Float64Array([0.1, -0.3, 0.2]).buffer));
    const x = randn([dims.N, dims.C, dims.H, dims.H], { dtype: 'float64' });
    const target = randn([dims.N, dims.K], { dtype: 'float64' });
    const [w, b, gamma, beta, W, B] = net.parameters().map((p) => arr(p.value));
    const before: Net = { w: w!, b: b!, gamma: gamma!, beta: beta!, W: W!, B: B! };
    const ref = referenceStep(arr(x), arr(target), before, dims, bn.eps);
    const lr = 0.1;
    const loss = scope(() => {
      const l = net.forward(x).sub(target).square().mean();
      expect(l.dtype).toBe('float64');
      l.backward();
      return l.item();
    });
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-14);
    const order: Array<keyof Net> = ['w', 'b', 'gamma', 'beta', 'W', 'B'];
    net.parameters().forEach((p: Variable, i) => {
      expect(p.grad!.dtype).toBe('float64');
      if (order[i] === 'b') {
        // the conv bias's gradient is exactly 0 (the BatchNorm after it removes any per-channel
        // shift): both sides hold rounding noise only
        for (const g of [...arr(p.grad!), ...ref.grads.b]) expect(Math.abs(g)).toBeLessThan(1e-14);
      } else relClose(arr(p.grad!), ref.grads[order[i]!], 1e-13);
      axpyInPlace(p.value, p.grad!, -lr);
      p.zeroGrad();
    });
    net.parameters().forEach((p, i) => {
      const k = order[i]!;
      relClose(
        arr(p.value),
        before[k].map((v, j) => v - lr * ref.grads[k][j]!),
        1e-14,
      );
    });
    // running ← 0.9·running + 0.1·batch, from running_mean 0 and running_var 1
    relClose(
      arr(bn.buffer('running_mean')),
      ref.mean.map((m) => 0.1 * m),
      1e-14,
    );
    relClose(
      arr(bn.buffer('running_var')),
      ref.unbiasedVar.map((v) => 0.9 + 0.1 * v),
      1e-14,
    );
    net.dispose();
  });

  it('trains: the loss falls over SGD steps, every tensor stays float64, memory stays flat', () => {
    manualSeed(12);
    const net = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, dtype: 'float64' }),
      new BatchNorm2d(4, { dtype: 'float64' }),
      new ReLU(),
      new AvgPool2d(2),
      new Conv2d(4, 4, 3, { dtype: 'float64' }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new LayerNorm(4, { dtype: 'float64' }),
      new Linear(4, 2, { dtype: 'float64' }),
    );
    const x = randn([8, 1, 8, 8], { dtype: 'float64' });
    const target = randn([8, 2], { dtype: 'float64' });
    const step = () =>
      scope(() => {
        const l = net.forward(x).sub(target).square().mean();
        l.backward();
        for (const p of net.parameters()) {
          axpyInPlace(p.value, p.grad!, -0.05);
          p.zeroGrad();
        }
        return l.item();
      });
    const first = step();
    const before = memory();
    let last = first;
    for (let i = 0; i < 60; i++) last = step();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    expect(last).toBeLessThan(0.5 * first);
    for (const p of net.parameters()) expect(p.dtype).toBe('float64');
    net.dispose();
  });
});
