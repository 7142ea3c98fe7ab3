import { manualSeed, memory, randn, scope, tensor } from '@gd/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gradcheck, linear, type OpName, opTable, type Variable, variable } from '../src/index.js';
import { awayFromZero, cases } from './cases.js';

describe('gradcheck over the op table in float64', () => {
  // The same cases with every input cast to float64: central differences with ε = 1e-6 have a
  // truncation error of O(ε²) ≈ 1e-12 and a rounding error of about ulp(y)/2ε ≈ 1e-10·|y| per
  // output, so the analytic gradient must agree to 1e-7 relative (small gradient components of
  // large outputs are the worst case), where float32 manages ~1e-2.
  const TIGHT = 1e-7;
  const table: Array<[string, number, number]> = [];
  for (const name of Object.keys(opTable) as OpName[]) {
    it(`${name}: float64 gradient agrees with central differences to ${TIGHT}`, () => {
      manualSeed(7);
      scope(() => {
        const c = cases[name];
        const inputs = c.inputs().map((t) => t.cast('float64'));
        // PyTorch's float64 defaults, stated: ε = 1e-6, atol 1e-5, rtol 1e-3
        const r = gradcheck(c.f, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.dtype).toBe('float64');
        expect(r.checked).toBe(inputs.reduce((n, t) => n + t.size, 0));
        expect(r.ok, JSON.stringify(r)).toBe(true);
        expect(r.maxRelError, JSON.stringify(r)).toBeLessThan(TIGHT);
        table.push([name, r.checked, r.maxRelError]);
      });
    });
  }
  afterAll(() => {
    // `pnpm --filter @gd/autograd gradcheck-table` prints the table (measured in this run)
    if (!process.env.GRADCHECK_REPORT) return;
    const rows = table.map(([name, n, e]) => `| ${name} | ${n} | ${e.toExponential(2)} |`);
    console.log(['| op (float64) | elements checked | max relative error |', '| --- | ---: | ---: |', ...rows].join('\n'));
  });

  it('matmul of a batch against one matrix: the folded weight gradient agrees with central differences, B read either way', () => {
    manualSeed(11);
    scope(() => {
      for (const transposeB of [false, true]) {
        const a = randn([2, 3, 4, 5], { dtype: 'float64' });
        const b = randn(transposeB ? [6, 5] : [5, 6], { dtype: 'float64' });
        const r = gradcheck((x, w) => x.matmul(w, { transposeB }), [a, b], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.checked).toBe(a.size + b.size);
        expect(r.ok, JSON.stringify(r)).toBe(true);
        // the gradients are O(1); central differences in float64 are good to ~1e-10 absolute
        expect(r.maxAbsError, JSON.stringify(r)).toBeLessThan(1e-8);
      }
    });
  });

  it('linear without a bias, and on a single vector, agrees with central differences', () => {
    manualSeed(12);
    scope(() => {
      for (const xShape of [[3, 4], [4]]) {
        const x = randn(xShape, { dtype: 'float64' });
        const w = randn([2, 4], { dtype: 'float64' });
        const r = gradcheck((a, b) => linear(a, b), [x, w], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.checked).toBe(x.size + w.size);
        expect(r.ok, JSON.stringify(r)).toBe(true);
        expect(r.maxAbsError, JSON.stringify(r)).toBeLessThan(1e-8);
      }
    });
  });

  it('differences each output before projecting, and divides by the step as stored', () => {
    manualSeed(9);
    scope(() => {
      // y = 2x exactly: only output i moves when x_i does, by exactly 2·(x_i⁺ − x_i⁻). Projecting
      // all 400 outputs first would leave the rounding of a 400-term sum (~1e-9 here after the
      // division by 2ε), and the nominal 2ε differs from the stored step by up to ~1e-10.
      const r = gradcheck((x) => x.mul(2), [randn([400], { dtype: 'float64' }).mul(10)]);
      expect(r.checked).toBe(400);
      expect(r.maxRelError).toBeLessThan(1e-14);
      // float32 too: x ± 1e-3 rounds in float32, and the stored step is what f saw
      const r32 = gradcheck((x) => x.mul(2), [randn([50]).mul(10)]);
      expect(r32.dtype).toBe('float32');
      expect(r32.maxRelError).toBeLessThan(1e-6);
    });
  });

  it('gradients take the dtype of their Variable, through mixed-dtype ops', () => {
    scope(() => {
      const a = variable(tensor([0.1, 0.2], { dtype: 'float64' }));
      const b = variable(tensor([3, 4]));
      const y = a.mul(b).sum();
      expect(y.dtype).toBe('float64');
      y.backward();
      expect(a.grad!.dtype).toBe('float64');
      expect(b.grad!.dtype).toBe('float32');
      expect(Array.from(a.grad!.data())).toEqual([3, 4]);
      expect(Array.from(b.grad!.data())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
      a.zeroGrad();
      b.zeroGrad();
    });
  });

  it('conv2d and pooling on mixed dtypes: float64 forward, each gradient in its Variable dtype', () => {
    manualSeed(10);
    scope(() => {
      const x = variable(randn([2, 2, 5, 5]));
      const w = variable(randn([3, 2, 3, 3], { dtype: 'float64' }));
      const y = x.conv2d(w, undefined, { padding: 1 }).maxPool2d(2).avgPool2d(2);
      expect(y.dtype).toBe('float64');
      y.sum().backward();
      expect(x.grad!.dtype).toBe('float32');
      expect(w.grad!.dtype).toBe('float64');
      // the float32 gradient is the float64 one rounded
      const x64 = variable(x.value.cast('float64'));
      x64.conv2d(w.value, undefined, { padding: 1 }).maxPool2d(2).avgPool2d(2).sum().backward();
      expect(Array.from(x.grad!.data())).toEqual(Array.from(x64.grad!.data(), Math.fround));
      for (const v of [x, w, x64]) v.zeroGrad();
    });
  });

  it('defaults: float64 for JS arrays and float64 tensors, float32 for float32 tensors', () => {
    scope(() => {
      const f = (x: Variable) => x.exp().sum();
      const r64 = gradcheck(f, [[0.1, -0.3, 0.7]]);
      expect(r64.dtype).toBe('float64');
      expect(r64.ok).toBe(true);
      // exp's gradient is exp: the error is the finite difference's, ~1e-10
      expect(r64.maxRelError).toBeLessThan(1e-8);
      const r32 = gradcheck(f, [tensor([0.1, -0.3, 0.7])]);
      expect(r32.dtype).toBe('float32');
      expect(r32.ok).toBe(true);
      expect(r32.maxRelError).toBeGreaterThan(1e-6);
      expect(gradcheck(f, [tensor([0.1, -0.3, 0.7])], { dtype: 'float64' }).dtype).toBe('float64');
      expect(() => gradcheck(f, [[1]], { dtype: 'int32' as never })).toThrow(/gradcheck: dtype int32 is not float32 or float64/);
      // a wrong rule is caught in float64 too
      const bogus = (x: Variable) => x.square().mul(x.detach());
      expect(gradcheck(bogus, [[1.5, -2, 0.7]]).ok).toBe(false);
    });
  });
});

describe('gradcheck over the op table', () => {
  it('has a case for every op in the table', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(opTable).sort());
  });

  for (const name of Object.keys(opTable) as OpName[]) {
    it(`${name}: analytic gradient matches central differences`, () => {
      manualSeed(7);
      scope(() => {
        const c = cases[name];
        const r = gradcheck(c.f, c.inputs());
        expect(r.checked).toBeGreaterThan(0);
        expect(r.ok, JSON.stringify(r)).toBe(true);
        if (process.env.GRADCHECK_REPORT)
          console.log(
            `gradcheck ${name} checked=${r.checked} maxAbs=${r.maxAbsError.toExponential(2)} maxRel=${r.maxRelError.toExponential(2)}`,
          );
      });
    });
  }

  it('conv2d without bias, on an unbatched image with padding "same"', () => {
    manualSeed(8);
    scope(() => {
      const r = gradcheck((x, w) => x.conv2d(w, undefined, { padding: 'same', dilation: 2 }), [randn([3, 5, 4]), randn([2, 3, 2, 3])]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
  });

  it('a wrong gradient rule is caught', () => {
    // (float32 inputs: the float32 defaults)
    // x·x through mul is right; claim d/dx x³ = x² and gradcheck must disagree
    const bogus = (x: Variable) => x.square().mul(x.detach());
    const r = gradcheck(bogus, [tensor([1.5, -2, 0.7])]);
    expect(r.ok).toBe(false);
    expect(r.maxAbsError).toBeGreaterThan(0.5);
  });

  it('broadcasting binary ops on random shapes (property)', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 });
    fc.assert(
      fc.property(dims, fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.integer({ min: 0, max: 3 }), (shape, ones, which) => {
        const other = shape.map((d, i) => (ones[i] ? 1 : d));
        const op = (['add', 'sub', 'mul', 'div'] as const)[which]!;
        return scope(() => {
          manualSeed(shape.length * 10 + which);
          const b = op === 'div' ? awayFromZero(other) : randn(other);
          const r = gradcheck((x, y) => x[op](y), [randn(shape), b]);
          return r.ok;
        });
      }),
      { numRuns: 40 },
    );
  });

  it('memory stays flat over many gradchecks', () => {
    const before = memory();
    for (let i = 0; i < 20; i++) scope(() => gradcheck((x) => x.tanh().mul(x).sum(), [randn([4])]));
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  });
});
