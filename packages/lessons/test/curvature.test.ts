import { describe, expect, it } from 'vitest';
import { eigen2, lineCurvature, lineData, rosenbrockRace } from '../src/index.js';

describe('docs/tutorial.md §3: curvature', () => {
  it('eigen2 gives the eigenvalues of a symmetric 2×2 matrix, largest first', () => {
    expect(
      eigen2([
        [2, 1],
        [1, 2],
      ]),
    ).toEqual([3, 1]);
    const [a, b] = eigen2([
      [28, 12],
      [12, 6],
    ]);
    expect(Math.abs(a - (34 + Math.sqrt(1060)) / 2)).toBeLessThan(1e-12);
    expect(Math.abs(b - (34 - Math.sqrt(1060)) / 2)).toBeLessThan(1e-12);
  });

  it("the line fit's Hessian is (2/n)·[[Σx², Σx], [Σx, n]]; Newton lands in one step, gradient descent takes hundreds", () => {
    const data = lineData(42);
    const n = data.x.length;
    const sxx = data.x.reduce((s, v) => s + v * v, 0);
    const sx = data.x.reduce((s, v) => s + v, 0);
    const want = [
      [(2 / n) * sxx, (2 / n) * sx],
      [(2 / n) * sx, 2],
    ];
    const c = lineCurvature(42);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(c.hessian[i]![j]! - want[i]![j]!)).toBeLessThan(1e-6);
    expect(Math.abs(c.lrBound - 2 / c.eigenvalues[0])).toBe(0);
    const [gd, newton] = c.runs;
    expect(newton!.iterations).toBe(1);
    expect(newton!.error).toBeLessThan(1e-12);
    expect(gd!.error).toBeLessThan(1e-6);
    expect(gd!.iterations).toBeGreaterThan(100);
    // the slowest direction shrinks by 1 − η·λ_min per step: at least log(error₀/1e-6)/−log(1 − ηλ_min) steps
    const e0 = Math.max(Math.abs(data.exact.a), Math.abs(data.exact.b));
    expect(gd!.iterations).toBeGreaterThan(Math.log(e0 / 1e-6) / -Math.log(1 - 0.1 * c.eigenvalues[1]) / 4);
  });

  it("Rosenbrock's valley: Newton in a few iterations, then L-BFGS, Adam, and gradient descent not there after 20,000", () => {
    const [gd, adam, lbfgs, newton] = rosenbrockRace();
    expect(newton!.reason).toBe('grad-tolerance');
    expect(newton!.error).toBeLessThan(1e-6);
    expect(lbfgs!.error).toBeLessThan(1e-6);
    expect(newton!.iterations).toBeLessThan(lbfgs!.iterations);
    expect(lbfgs!.iterations).toBeLessThan(adam!.iterations);
    expect(adam!.iterations).toBeLessThan(gd!.iterations);
    expect(gd!.reason).toBe('max-iterations');
    expect(gd!.error).toBeGreaterThan(1e-4);
    // every path starts at (−1.2, 1)
    for (const r of [gd, adam, lbfgs, newton]) expect(r!.path[0]).toEqual([-1.2, 1]);
  }, 60_000);
});
