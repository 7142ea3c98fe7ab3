// softplus on Tensors (Variables had it already): ln(1 + eˣ) against a float64 JS reference.
import { describe, expect, it } from 'vitest';
import { memory, softplus, tensor } from '../src/index.js';

const reference = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('softplus', () => {
  it('matches ln(1 + eˣ) in float64 and float32, without overflow or underflow to 0', () => {
    const xs = [-800, -100, -20, -1, -1e-8, 0, 1e-8, 0.5, 1, 20, 100, 800];
    const before = memory();
    const x64 = tensor(xs, { dtype: 'float64' });
    const y64 = x64.softplus();
    expect(y64.dtype).toBe('float64');
    Array.from(y64.data()).forEach((v, i) => {
      const r = reference(xs[i]!);
      expect(Math.abs(v - r) <= 1e-15 * Math.max(1, Math.abs(r)) || (r < 1e-300 && v === r)).toBe(true);
    });
    // float32: -100 gives e^-100 ≈ 3.7e-44, a subnormal, not 0; 100 gives 100, not Infinity
    const x32 = tensor(xs.slice(1, -1));
    const y32 = softplus(x32);
    Array.from(y32.data()).forEach((v, i) => {
      const r = Math.fround(reference(xs[i + 1]!));
      expect(Math.abs(v - r) <= 2e-7 * Math.max(Math.abs(r), 1e-38)).toBe(true);
    });
    expect(y32.data()[0]).toBeGreaterThan(0);
    const i32 = tensor([0, 1], { dtype: 'int32' });
    const ints = softplus(i32);
    expect(ints.dtype).toBe('float32');
    expect(Math.abs(ints.data()[0]! - Math.LN2)).toBeLessThan(1e-7);
    for (const t of [x64, y64, x32, y32, i32, ints]) t.dispose();
    // the intermediates (−x, ln σ(−x)) were freed
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });
});
