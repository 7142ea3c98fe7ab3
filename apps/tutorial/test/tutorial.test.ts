import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the main job (pnpm start)', () => {
  it('prints every stop reason and ≥ 95 % held-out accuracy, the same after reloading the saved model', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gd-main-')), 'model.safetensors');
    const text = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js'), '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, GD_LANG: 'en' },
    });
    for (const reason of ['loss-tolerance', 'grad-tolerance', 'max-iterations', 'diverged']) expect(text).toContain(reason);
    const acc = Number(/held-out accuracy (\d+\.\d+)%/.exec(text)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(95);
    const reloaded = Number(/reloaded into a fresh model: held-out accuracy (\d+\.\d+)%/.exec(text)?.[1]);
    expect(reloaded).toBe(acc);
    expect(text).toContain('gradcheck against finite differences in float64: ok');
    const f64 = /float64 +(\d+) +(\S+)/.exec(text);
    const f32 = /float32 +(\d+) +(\S+)/.exec(text);
    expect(Number(f32?.[2])).toBe(0);
    expect(Number(f64?.[1])).toBeGreaterThan(Number(f32?.[1]));
    // the same model exported to ONNX, next to the safetensors file, and run by ONNX Runtime
    const ort = /saved (.+\.onnx) .*: logits within (\S+) of gd's .*accuracy (\d+\.\d+)% \(gd (\d+\.\d+)%\), (\d+) predictions differ/.exec(
      text,
    );
    expect(ort?.[1]).toBe(out.replace(/safetensors$/, 'onnx'));
    expect(existsSync(ort![1]!)).toBe(true);
    expect(Number(ort![2])).toBeLessThan(1e-4);
    expect([Number(ort![3]), Number(ort![4]), Number(ort![5])]).toEqual([acc, acc, 0]);
  }, 300_000);
});
