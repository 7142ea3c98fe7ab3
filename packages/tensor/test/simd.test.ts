// Runs in both projects: the build chosen by the project's setup file is the one that runs, and
// its GEMM differs from a float64 reference by no more than float32 rounding allows (the relaxed
// build fuses the multiply-add, which rounds once where the plain build rounds twice).
import { describe, expect, it } from 'vitest';
import { kernelsInfo, manualSeed, rand, ready, StateError, scope, ValueError } from '../src/index.js';

describe('the SIMD build', () => {
  it('reports the build the project chose, and refuses to switch after the start', async () => {
    const project = process.execArgv.includes('--experimental-wasm-relaxed-simd');
    await ready();
    const info = kernelsInfo();
    expect(info.started).toBe(true);
    expect(info.threads).toBe(1);
    expect(info.sharedMemory).toBe(false);
    if (project) {
      expect(info.relaxedSimdAvailable).toBe(true);
      expect(info.simd).toBe('relaxed');
    } else {
      expect(info.simd).toBe('plain');
    }
    const other = info.simd === 'relaxed' ? 'plain' : 'relaxed';
    await expect(ready({ simd: other })).rejects.toThrow(info.relaxedSimdAvailable ? /already run/ : /no relaxed SIMD/);
    await expect(ready({ simd: other })).rejects.toThrow(StateError);
    // @ts-expect-error: not a build
    await expect(ready({ simd: 'fast' })).rejects.toThrow(ValueError);
  });

  it('matmul stays within float32 rounding of a float64 reference, with an error bound FMA meets', () => {
    scope(() => {
      manualSeed(11);
      const [m, k, n] = [37, 513, 29];
      const a = rand([m, k], { low: -1, high: 1 });
      const b = rand([k, n], { low: -1, high: 1 });
      const c = a.matmul(b).data();
      const ad = a.data();
      const bd = b.data();
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let exact = 0;
          let scale = 0;
          for (let p = 0; p < k; p++) {
            exact += ad[i * k + p]! * bd[p * n + j]!;
            scale += Math.abs(ad[i * k + p]! * bd[p * n + j]!);
          }
          // a sum of k products in float32 errs by at most about k·u·Σ|a·b| (u = 2^-24)
          worst = Math.max(worst, Math.abs(c[i * n + j]! - exact) / (scale * k * 2 ** -24));
        }
      }
      expect(worst).toBeLessThan(1);
      expect(worst).toBeGreaterThan(0); // float32 arithmetic, not a float64 shortcut
    });
  });
});
