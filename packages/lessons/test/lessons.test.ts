import { keep, slice } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { backpropLesson, gradientDescentLesson, informationLesson, trainDigits } from '../src/lessons.js';
import { loadDigits } from '../src/mnist.js';

describe('lessons', () => {
  it('information: coin 1 bit, die log2 6, flat at the maximum, peaked below it', () => {
    const [peaked, flat, coin, die] = informationLesson();
    expect(coin!.entropy).toBeCloseTo(1, 6);
    expect(die!.entropy).toBeCloseTo(Math.log2(6), 5);
    expect(flat!.entropy).toBeCloseTo(flat!.maximum, 5);
    expect(peaked!.entropy).toBeLessThan(flat!.entropy);
  });
  it('gradient descent: each criterion stops for its own reason, near the least-squares line', () => {
    const { data, runs } = gradientDescentLesson(42);
    expect(runs.map((r) => r.reason)).toEqual(['loss-tolerance', 'grad-tolerance', 'max-iterations', 'diverged']);
    for (const r of runs.slice(0, 2)) {
      expect(r.a).toBeCloseTo(data.exact.a, 2);
      expect(r.b).toBeCloseTo(data.exact.b, 2);
    }
    expect(runs[2]!.iterations).toBe(30);
    expect(Number.isFinite(runs[3]!.a)).toBe(true);
  });
  it('loss tolerance 1e-10: float32 stops on a rounding stall, float64 by descent, nearer the least-squares line', () => {
    const { data, precision } = gradientDescentLesson(42);
    const { float32: r32, float64: r64 } = precision;
    expect([r32.dtype, r64.dtype]).toEqual(['float32', 'float64']);
    expect([r32.reason, r64.reason]).toEqual(['loss-tolerance', 'loss-tolerance']);
    // float32: the loss no longer changes at all; float64: a real change, below the tolerance
    expect(r32.lastChange).toBe(0);
    expect(r64.lastChange).toBeGreaterThan(0);
    expect(r64.lastChange).toBeLessThan(1e-10);
    expect(r64.iterations).toBeGreaterThan(r32.iterations);
    expect(Math.abs(r64.a - data.exact.a)).toBeLessThan(Math.abs(r32.a - data.exact.a) / 4);
    expect(Math.abs(r64.b - data.exact.b)).toBeLessThan(1e-6);
  });
  it('backpropagation: every parameter gets a gradient, and gradcheck agrees to ~1e-7 in float64', () => {
    const r = backpropLesson(42);
    expect(r.gradcheck).toMatchObject({ ok: true, dtype: 'float64' });
    expect(r.gradcheck.maxRelError).toBeLessThan(1e-6);
    expect(r.gradcheckFloat32).toMatchObject({ ok: true, dtype: 'float32' });
    expect(r.gradcheckFloat32.maxRelError).toBeGreaterThan(100 * r.gradcheck.maxRelError);
    expect(r.layers.filter((l) => l.name.startsWith('∂L/∂')).every((l) => l.grad!.some((g) => g !== 0))).toBe(true);
  });
  it("backpropagation: float64 gradcheck's ~1e-7 is central differences' own error, as plain JS measures it", () => {
    const r = backpropLesson(42);
    const P = r.layers.filter((l) => l.name.startsWith('∂L/∂')).map((l) => Float64Array.from(l.value));
    // the lesson's network, loss and exact gradient, written out in float64
    const x = [0.5, -1];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const forward = ([w0, b0, w1, b1]: Float64Array[]) => {
      const h = [0, 1, 2].map((j) => sig(w0![2 * j]! * x[0]! + w0![2 * j + 1]! * x[1]! + b0![j]!));
      const y = sig(w1![0]! * h[0]! + w1![1]! * h[1]! + w1![2]! * h[2]! + b1![0]!);
      return { h, y, loss: (y - 1) ** 2 };
    };
    const { h, y } = forward(P);
    const dy = 2 * (y - 1) * y * (1 - y);
    const dz = h.map((v, j) => dy * P[2]![j]! * v * (1 - v));
    const exact = [dz.flatMap((d) => [d * x[0]!, d * x[1]!]), dz, h.map((v) => dy * v), [dy]];
    const maxRel = (eps: number) => {
      let worst = 0;
      for (let k = 0; k < P.length; k++) {
        for (let i = 0; i < P[k]!.length; i++) {
          const q = P.map((a) => Float64Array.from(a));
          q[k]![i] = P[k]![i]! + eps;
          const [xp, fp] = [q[k]![i]!, forward(q).loss];
          q[k]![i] = P[k]![i]! - eps;
          const [xm, fm] = [q[k]![i]!, forward(q).loss];
          const numeric = (fp - fm) / (xp - xm);
          // gradcheck's measure: |analytic − numeric| / max(|numeric|, atol 1e-5)
          worst = Math.max(worst, Math.abs(exact[k]![i]! - numeric) / Math.max(Math.abs(numeric), 1e-5));
        }
      }
      return worst;
    };
    const js = maxRel(1e-6);
    // gd's float64 check is as good as plain JS at PyTorch's ε, within a factor of a few…
    expect(r.gradcheck.maxRelError).toBeLessThan(4 * js);
    expect(r.gradcheck.maxRelError).toBeGreaterThan(js / 4);
    // …which is well above 1e-9 for this network; a balanced ε = 1e-5 gets there
    expect(js).toBeGreaterThan(2e-8);
    expect(maxRel(1e-5)).toBeLessThan(1e-8);
  });
  it('digits: a short training on a 3,000-image subset beats 85 % held-out', () => {
    const data = loadDigits(7);
    const small = {
      xTrain: keep(slice(data.xTrain, [0, 0], [3000, -1])),
      yTrain: keep(slice(data.yTrain, [0], [3000])),
      xTest: data.xTest,
      yTest: data.yTest,
    };
    const r = trainDigits(small, { seed: 7, epochs: 3 });
    expect(r.testAccuracy).toBeGreaterThan(0.85);
  });
});
