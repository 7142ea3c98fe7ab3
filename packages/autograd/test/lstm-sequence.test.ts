// lstmSequence as a Variable op: its value and every gradient equal those of the same recurrence
// written step by step with lstmCell and matmul (one step and several, forward and reverse); its
// fused backward equals the composed one (composedLstmSequenceBackward on tensors); gradcheck and
// gradgradcheck in float64 in the reverse direction (the op table's case covers the forward one).
import { manualSeed, randn, scope, type Tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { gradcheck, gradgradcheck, lstmCell, lstmSequence, stack, type Variable, variable } from '../src/index.js';
import { composedLstmSequenceBackward, type OpContext, tensorOps } from '../src/ops.js';

const T64 = { dtype: 'float64' } as const;

/** The recurrence step by step: [2, T, n, H] (every h, then every c), as lstmSequence's output. */
function stepwise(xg: Variable, whh: Variable, h0: Variable, c0: Variable, reverse: boolean): Variable {
  const [T, n, G] = xg.shape as [number, number, number];
  const H = G / 4;
  let [h, c] = [h0, c0];
  const hs: Variable[] = new Array(T);
  const cs: Variable[] = new Array(T);
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    const hc = lstmCell(xg.slice([t, 0, 0], [1, n, G]).reshape([n, G]), h.matmul(whh, { transposeB: true }), c);
    h = hs[t] = hc.slice([0, 0, 0], [1, n, H]).reshape([n, H]);
    c = cs[t] = hc.slice([1, 0, 0], [1, n, H]).reshape([n, H]);
  }
  return stack([stack(hs, 0), stack(cs, 0)], 0);
}

/** Max |a − b| over the elements; NaN if the sizes differ or a value is NaN. */
function maxDiff(a: Tensor, b: Tensor): number {
  const [x, y] = [a.data(), b.data()];
  if (x.length !== y.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (Number.isNaN(d)) return Number.NaN;
    worst = Math.max(worst, d);
  }
  return worst;
}

describe('lstmSequence', () => {
  for (const T of [1, 5]) {
    for (const reverse of [false, true]) {
      it(`${T} step(s)${reverse ? ', reverse' : ''}: value and gradients equal the step-by-step lstmCell recurrence (float64, 1e-12)`, () => {
        manualSeed(40 + T);
        scope(() => {
          const [n, H] = [3, 6];
          const values = [randn([T, n, 4 * H], T64), randn([4 * H, H], T64).mul(0.4), randn([n, H], T64), randn([n, H], T64)];
          const seed = randn([2, T, n, H], T64);
          const run = (f: (...xs: Variable[]) => Variable) => {
            const vars = values.map((v) => variable(v));
            const y = f(...vars);
            y.backward(seed);
            return [y.value, ...vars.map((v) => v.grad!)];
          };
          const fused = run((x, w, h, c) => lstmSequence(x!, w!, h!, c!, { reverse }));
          const ref = run((x, w, h, c) => stepwise(x!, w!, h!, c!, reverse));
          expect(fused[0]!.shape).toEqual([2, T, n, H]);
          for (let k = 0; k < 5; k++) expect(maxDiff(fused[k]!, ref[k]!), `output ${k}`).toBeLessThan(1e-12);
        });
      });
    }
  }

  it('the fused backward equals the composed one, float32, hidden 8 (four-lane kernels)', () => {
    manualSeed(7);
    scope(() => {
      const [T, n, H] = [4, 2, 8];
      for (const reverse of [false, true]) {
        const values = [randn([T, n, 4 * H]), randn([4 * H, H]).mul(0.3), randn([n, H]), randn([n, H])];
        const y = lstmSequence(values[0]!, values[1]!, values[2]!, values[3]!, { reverse }).value;
        const g = randn([2, T, n, H]);
        const ctx: OpContext<{ reverse: boolean }> = {
          needs: [true, true, true, true],
          inputs: values,
          output: y,
          values,
          outputValue: y,
          attrs: { reverse },
          graph: false,
        };
        const fused = tensorOps.lstmSequenceBackward(g, ctx) as Tensor[];
        const composed = composedLstmSequenceBackward(g, ctx, tensorOps) as Tensor[];
        for (let k = 0; k < 4; k++) expect(maxDiff(fused[k]!, composed[k]!), `gradient ${k}`).toBeLessThan(1e-5);
      }
    });
  });

  it('reverse: gradcheck and gradgradcheck against central differences (float64)', () => {
    manualSeed(9);
    scope(() => {
      const inputs = [randn([3, 2, 12], T64), randn([12, 3], T64).mul(0.5), randn([2, 3], T64), randn([2, 3], T64)];
      const f = (x: Variable, w: Variable, h: Variable, c: Variable) => lstmSequence(x, w, h, c, { reverse: true });
      const r1 = gradcheck(f, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
      expect(r1.ok, JSON.stringify(r1)).toBe(true);
      const r2 = gradgradcheck(f, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
      expect(r2.ok, JSON.stringify(r2)).toBe(true);
      expect(r2.maxAbsError).toBeLessThan(1e-7);
    });
  });
});
