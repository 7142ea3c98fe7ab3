import { topologicalOrder, type Variable, variable } from '@gd/autograd';
import { dropoutMask, GdError, manualSeed, memory, randn, ShapeError, scope, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/index.js';

const fails = failsWith(memory, GdError);

/** Recorded ops of the graph behind `out`, by name, leaving out reshapes (views, no kernel). */
function kernels(out: Variable): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of topologicalOrder(out)) if (v.op !== 'leaf' && v.op !== 'reshape') counts.set(v.op, (counts.get(v.op) ?? 0) + 1);
  return counts;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('recurrent layers', () => {
  it('have PyTorch’s keys in PyTorch’s order and U(−1/√H, 1/√H) init', () => {
    manualSeed(0);
    const lstm = new LSTM(3, 20, { numLayers: 2, bidirectional: true });
    const shapes = Object.entries(lstm.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`);
    expect(shapes.slice(0, 8)).toEqual([
      'weight_ih_l0:80x3',
      'weight_hh_l0:80x20',
      'bias_ih_l0:80',
      'bias_hh_l0:80',
      'weight_ih_l0_reverse:80x3',
      'weight_hh_l0_reverse:80x20',
      'bias_ih_l0_reverse:80',
      'bias_hh_l0_reverse:80',
    ]);
    expect(shapes[8]).toBe('weight_ih_l1:80x40');
    expect(shapes.length).toBe(16);
    const bound = 1 / Math.sqrt(20);
    for (const p of lstm.parameters()) {
      const d = Array.from(p.value.data());
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    const all = lstm.parameters().flatMap((p) => Array.from(p.value.data()));
    // U(−b, b) has variance b²/3
    expect(all.reduce((s, v) => s + v * v, 0) / all.length).toBeCloseTo(bound ** 2 / 3, 3);
    expect(Object.keys(new GRU(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(new RNN(2, 3).stateDict().weight_ih_l0!.shape).toEqual([3, 2]);
    expect(new GRU(2, 3).stateDict().weight_hh_l0!.shape).toEqual([9, 3]);
    lstm.dispose();
  });

  it('the per-step work is the two projections and the gate math, one fused cell for GRU; LSTM’s graph does not grow with the steps (counted from the graph)', () => {
    manualSeed(0);
    const perStep = (make: () => RNN | LSTM | GRU) => {
      const m = make();
      const counts = scope(() => {
        const run = (steps: number) => {
          const out = m.forward(randn([steps, 2, 3]))[0];
          return kernels(out);
        };
        const one = run(1);
        const two = run(2);
        const diff = new Map([...two].map(([k, v]) => [k, v - (one.get(k) ?? 0)]));
        return {
          total: total(two) - total(one),
          matmul: diff.get('matmul'),
          cell: (diff.get('lstmCell') ?? 0) + (diff.get('gruCell') ?? 0),
        };
      });
      m.dispose();
      return counts;
    };
    // the input projection x_t·W_ihᵀ and its bias, the matmul by W_hh, one add and the nonlinearity
    expect(perStep(() => new RNN(3, 4))).toEqual({ total: 5, matmul: 2, cell: 0 });
    // one projection of the whole sequence and one lstmSequence per layer and direction: no node per step
    expect(perStep(() => new LSTM(3, 4))).toEqual({ total: 0, matmul: 0, cell: 0 });
    // the projection and b_ih, the matmul by W_hh and b_hh, and the fused cell
    expect(perStep(() => new GRU(3, 4))).toEqual({ total: 5, matmul: 2, cell: 1 });
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const counts = scope(() => kernels(lstm.forward(randn([5, 2, 3]))[0]));
    lstm.dispose();
    // 2 layers × 2 directions: each one input projection, its bias (b_ih + b_hh, then added) and one lstmSequence
    expect([counts.get('matmul'), counts.get('add'), counts.get('lstmSequence'), counts.get('lstmCell')]).toEqual([4, 8, 4, undefined]);
  });

  it('float32 by default; unbatched input; dropout between layers only in training', () => {
    manualSeed(4);
    const gru = new GRU(3, 4, { numLayers: 2, dropout: 0.5 });
    scope(() => {
      const x = randn([6, 3]);
      gru.eval();
      const [out, h] = gru.forward(x);
      expect(out.dtype).toBe('float32');
      expect(out.shape).toEqual([6, 4]);
      expect(h.shape).toEqual([2, 4]);
      const [outB, hB] = gru.forward(x.reshape([6, 1, 3]));
      expect(Array.from(outB.value.data())).toEqual(Array.from(out.value.data()));
      expect(Array.from(hB.value.data())).toEqual(Array.from(h.value.data()));
      // the last output of a one-direction layer is its final state
      expect(Array.from(out.slice([5, 0], [1, 4]).value.data())).toEqual(Array.from(h.slice([1, 0], [1, 4]).value.data()));
      gru.train();
      const [outT] = gru.forward(x);
      expect(Array.from(outT.value.data())).not.toEqual(Array.from(out.value.data()));
    });
    gru.dispose();
  });

  it('LSTM in training drops the first layer’s outputs by the mask dropoutMask draws, as two one-layer LSTMs with that mask between them', () => {
    manualSeed(6);
    const f64 = { dtype: 'float64' } as const;
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, dtype: 'float64' });
    const [first, second] = [new LSTM(3, 4, f64), new LSTM(4, 4, f64)];
    const state = lstm.stateDict();
    for (const [m, l] of [
      [first, 0],
      [second, 1],
    ] as const)
      m.loadStateDict(Object.fromEntries(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((k) => [`${k}_l0`, state[`${k}_l${l}`]!])));
    scope(() => {
      const x = randn([5, 2, 3], f64);
      manualSeed(77);
      const [out] = lstm.forward(x);
      manualSeed(77);
      const mask = dropoutMask([5, 2, 4], 0.5, 'float64');
      const [want] = second.forward(first.forward(x)[0].mul(mask));
      const [a, b] = [out.value.data(), want.value.data()];
      expect(a.length).toBe(b.length);
      expect(a.every((v, i) => Math.abs(v - b[i]!) <= 1e-12)).toBe(true);
      // in eval no mask: the two layers straight
      lstm.eval();
      const [evalOut] = lstm.forward(x);
      const [plain] = second.forward(first.forward(x)[0]);
      expect(Array.from(evalOut.value.data())).toEqual(Array.from(plain.value.data()));
      expect(Array.from(evalOut.value.data())).not.toEqual(Array.from(a));
    });
    for (const m of [lstm, first, second]) m.dispose();
  });

  it('gradients flow to h0 and c0', () => {
    manualSeed(5);
    const lstm = new LSTM(2, 3, { dtype: 'float64' });
    const h0 = variable(randn([1, 1, 3], { dtype: 'float64' }));
    const c0 = variable(randn([1, 1, 3], { dtype: 'float64' }));
    scope(() => {
      const [out, [h, c]] = lstm.forward(randn([4, 1, 2], { dtype: 'float64' }), [h0, c0]);
      out.sum().add(h.sum()).add(c.sum()).backward();
    });
    for (const g of [h0.grad!, c0.grad!]) expect(g.data().every((v) => Number.isFinite(v) && v !== 0)).toBe(true);
    lstm.dispose();
  });

  it('refuses bad sizes, inputs and states with typed errors naming what was given', () => {
    fails(() => new LSTM(0, 3), ValueError, /LSTM: inputSize must be a positive integer, got 0/);
    fails(() => new RNN(2, 3, { nonlinearity: 'sigmoid' as never }), ValueError, /nonlinearity must be 'tanh' or 'relu', got sigmoid/);
    fails(() => new GRU(2, 3, { dropout: 1 }), ValueError, /dropout must be in \[0, 1\), got 1/);
    manualSeed(0);
    const lstm = new LSTM(2, 3, { numLayers: 2, batchFirst: true });
    const x = randn([4, 5, 2]);
    fails(() => lstm.forward(randn([4, 5, 3])), ShapeError, /LSTM: input must be \[N, L, 2\] \(or unbatched \[L, 2\]\), got \[4,5,3\]/, {
      leakCheck: false,
    });
    fails(() => lstm.forward(x, [randn([2, 4, 3]), randn([1, 4, 3])]), ShapeError, /c0 must be \[2,4,3\].*got \[1,4,3\]/, {
      leakCheck: false,
    });
    fails(() => lstm.forward(x, randn([2, 4, 3]) as never), ValueError, /initial state must be a pair \[h0, c0\], got object/, {
      leakCheck: false,
    });
    lstm.dispose();
  });
});
