// Runs in its own file (a fresh worker process): threads must be chosen before the first op.
// The kernels split into ranges across threads (elementwise by elements, a row broadcast and layer
// norm by rows, column sums and layer norm's weight gradient by columns) give one thread's bits,
// split or replayed, and the values of a plain-JS reference.
import { describe, expect, it } from 'vitest';
import { layerNormBackward, reluBackward } from '../src/grad.js';
import { layerNorm, linear, manualSeed, randn, ready, record, scope, setThreads, type Tensor } from '../src/index.js';
import { resetSplits, splitStats } from '../src/threads.js';

const bitsOf = (t: Tensor) => Array.from(new Uint32Array(t.data().buffer));

/** Runs `f` on one thread, then on two (counting splits), and checks the bits agree; returns the one-thread data and the splits. */
function oneAndTwo(f: () => Tensor[]): { one: Array<Float32Array | Float64Array | Int32Array>; splits: number } {
  return scope(() => {
    setThreads(1);
    const one = f();
    setThreads(2);
    resetSplits();
    const two = f();
    const splits = splitStats().splits;
    expect(two.map(bitsOf)).toEqual(one.map(bitsOf));
    return { one: one.map((t) => t.data()), splits };
  });
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('range kernels on two threads', () => {
  it("elementwise ops over 100,003 elements (parts not a multiple of the SIMD width) give one thread's bits and exact float32 values", async () => {
    await ready({ threads: 2 });
    manualSeed(1);
    const n = 100_003;
    const x = randn([n]);
    const y = randn([n]);
    const { one, splits } = oneAndTwo(() => [x.relu(), x.exp(), x.tanh(), x.add(y), x.mul(y), x.mul(3), reluBackward(y, x)]);
    // every op above the threshold was split on two threads
    expect(splits).toBe(7);
    const [xs, ys] = [x.data(), y.data()];
    const f = Math.fround;
    const [relu, exp, , add, mul, mul3, rb] = one;
    for (let i = 0; i < n; i++) {
      if (relu![i] !== Math.max(xs[i]!, 0)) throw new Error(`relu at ${i}`);
      if (add![i] !== f(xs[i]! + ys[i]!) || mul![i] !== f(xs[i]! * ys[i]!) || mul3![i] !== f(xs[i]! * 3))
        throw new Error(`add/mul at ${i}`);
      if (rb![i] !== (xs[i]! > 0 ? ys[i]! : 0)) throw new Error(`reluBackward at ${i}`);
    }
    close(exp!, Array.from(xs, Math.exp), 1e-6);
    x.dispose();
    y.dispose();
  });

  it("a bias row added to every row, either way round, gives one thread's bits and exact values", () => {
    manualSeed(2);
    const [rows, cols] = [1000, 301];
    const x = randn([rows, cols]);
    const b = randn([cols]);
    const { one, splits } = oneAndTwo(() => [x.add(b), b.sub(x)]);
    expect(splits).toBe(2);
    const [xs, bs] = [x.data(), b.data()];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        if (one[0]![i] !== Math.fround(xs[i]! + bs[c]!) || one[1]![i] !== Math.fround(bs[c]! - xs[i]!)) throw new Error(`at ${r}, ${c}`);
      }
    }
    x.dispose();
    b.dispose();
  });

  it("column sums (a bias gradient) split by columns give one thread's bits and the float64 sums", () => {
    manualSeed(3);
    const [rows, cols] = [1024, 3001];
    const g = randn([rows, cols]);
    for (const dtype of ['float32', 'float64'] as const) {
      const gd = g.cast(dtype);
      const { one, splits } = oneAndTwo(() => [gd.sum(0), gd.mean(0)]);
      expect(splits).toBe(2);
      const data = g.data();
      const ref = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ref[c]! += data[r * cols + c]!;
      // float32: 1024 terms of magnitude ~1 round to a few 1e-5 absolute
      close(one[0]!, ref, dtype === 'float32' ? 1e-4 : 1e-12);
      close(
        one[1]!,
        Array.from(ref, (v) => v / rows),
        dtype === 'float32' ? 1e-6 : 1e-14,
      );
      gd.dispose();
    }
    g.dispose();
  });

  it("layer norm forward and backward give one thread's bits, and its gradients the reference's", () => {
    manualSeed(4);
    for (const [rows, n] of [
      [1024, 130],
      [20_000, 7],
    ] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = randn([rows, n], { dtype }).add(2);
        const w = randn([n], { dtype });
        const b = randn([n], { dtype });
        const g = randn([rows, n], { dtype });
        const { one, splits } = oneAndTwo(() => {
          const [dx, dw, db] = layerNormBackward(g, x, w, [n], 1e-5, { weight: true, bias: true });
          return [layerNorm(x, n, { weight: w, bias: b }), dx, dw!, db!];
        });
        // forward and input gradient by rows; the weight and bias gradients by columns when n ≥ 8
        expect(splits).toBe(n >= 8 ? 3 : 2);
        // the weight and bias gradients, summed over rows in float64
        const [xs, gs] = [x.data(), g.data()];
        const dwRef = new Float64Array(n);
        const dbRef = new Float64Array(n);
        for (let r = 0; r < rows; r++) {
          const row = Array.from(xs.subarray(r * n, (r + 1) * n));
          const mu = row.reduce((s, v) => s + v, 0) / n;
          const d = Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / n + 1e-5);
          for (let c = 0; c < n; c++) {
            dwRef[c]! += gs[r * n + c]! * ((row[c]! - mu) / d);
            dbRef[c]! += gs[r * n + c]!;
          }
        }
        close(one[2]!, dwRef, dtype === 'float32' ? 1e-4 : 1e-11);
        close(one[3]!, dbRef, dtype === 'float32' ? 1e-4 : 1e-11);
        for (const t of [x, w, b, g]) t.dispose();
      }
    }
  });

  it("linear writes a bias into every row (split by rows) and adds the product: one thread's bits", () => {
    manualSeed(6);
    const x = randn([16, 64, 128]);
    const w = randn([3000, 128]);
    const b = randn([3000]);
    const { one, splits } = oneAndTwo(() => [linear(x, w, b)]);
    // the bias rows and the product
    expect(splits).toBe(2);
    // a few outputs against the float64 sum
    const [xs, ws, bs] = [x.data(), w.data(), b.data()];
    for (const [r, o] of [
      [0, 0],
      [517, 1234],
      [1023, 2999],
    ] as const) {
      let s = bs[o]!;
      for (let i = 0; i < 128; i++) s += xs[r * 128 + i]! * ws[o * 128 + i]!;
      expect(Math.abs(one[0]![r * 3000 + o]! - s)).toBeLessThan(1e-3);
    }
    for (const t of [x, w, b]) t.dispose();
  });

  it("a recording replays the split kernels on two threads with one thread's bits", () => {
    manualSeed(5);
    const x = randn([512, 256]);
    const bias = randn([256]);
    const w = randn([256]);
    const r = record(() => {
      const h = x.add(bias).relu();
      return layerNorm(h, 256, { weight: w, bias }).sum(0);
    });
    setThreads(1);
    r.replay();
    const one = bitsOf(r.result);
    setThreads(2);
    resetSplits();
    r.replay();
    expect(splitStats().splits).toBeGreaterThanOrEqual(4);
    expect(bitsOf(r.result)).toEqual(one);
    r.dispose();
    for (const t of [x, bias, w]) t.dispose();
  });
});
