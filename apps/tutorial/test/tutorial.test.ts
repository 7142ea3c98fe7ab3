import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the main job (pnpm start)', () => {
  it('prints every stop reason and ≥ 95 % held-out accuracy, the same after reloading the saved model', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gd-main-')), 'model.safetensors');
    const text = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js'), '--out', out], { encoding: 'utf8' });
    for (const reason of ['loss-tolerance', 'grad-tolerance', 'max-iterations', 'diverged']) expect(text).toContain(reason);
    const acc = Number(/held-out accuracy (\d+\.\d+)%/.exec(text)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(95);
    const reloaded = Number(/reloaded into a fresh model: held-out accuracy (\d+\.\d+)%/.exec(text)?.[1]);
    expect(reloaded).toBe(acc);
    expect(text).toContain('gradcheck against finite differences: ok');
  });
});
