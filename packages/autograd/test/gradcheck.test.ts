import { manualSeed, memory, randn, scope, tensor } from '@gd/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gradcheck, type OpName, opTable, type Variable, variable } from '../src/index.js';
import { awayFromZero, cases } from './cases.js';

describe('gradcheck over the op table in float64', () => {
  // The same cases with every input cast to float64: central differences with ε = 1e-6 have a
  // truncation error of O(ε²) ≈ 1e-12 and a rounding error of about 1e-16/ε ≈ 1e-10, so the
  // analytic gradient must agree to ~1e-8 relative, where float32 manages ~1e-2.
  const TIGHT = 1e-7;
  const table: string[] = [];
  // the convolution and pooling kernels exist in float32 only: in float64 they must refuse with
  // a DTypeError that names the op and the dtype, never compute on misread bytes
  const FLOAT32_ONLY = new Set<string>(['conv2d', 'convTranspose2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d']);
  for (const name of Object.keys(opTable) as OpName[]) {
    if (FLOAT32_ONLY.has(name)) {
      it(`${name}: float64 inputs are refused with a clear DTypeError`, () => {
        manualSeed(7);
        scope(() => {
          const c = cases[name];
          const inputs = c.inputs().map((t) => t.cast('float64'));
          expect(() => gradcheck(c.f, inputs)).toThrow(/must be float32, got float64/);
        });
      });
      continue;
    }
    it(`${name}: float64 gradient agrees with central differences to ${TIGHT}`, () => {
      manualSeed(7);
      scope(() => {
        const c = cases[name];
        const inputs = c.inputs().map((t) => t.cast('float64'));
        const r = gradcheck(c.f, inputs);
        expect(r.dtype).toBe('float64');
        expect(r.checked).toBeGreaterThan(0);
        expect(r.ok, JSON.stringify(r)).toBe(true);
        expect(r.maxRelError, JSON.stringify(r)).toBeLessThan(TIGHT);
        table.push(`| ${name} | ${r.checked} | ${r.maxRelError.toExponential(2)} |`);
      });
    });
  }
  afterAll(() => {
    if (process.env.GRADCHECK_REPORT) console.log(['| op | checked | max rel. error |', '| --- | --- | --- |', ...table].join('\n'));
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
