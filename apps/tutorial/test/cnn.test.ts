import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('pnpm start --model', () => {
  it('pnpm start refuses an unknown --model', () => {
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js'), '--model', 'rnn'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, GD_LANG: 'en' },
      });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--model must be mlp or cnn, got rnn');
  });

  it('--model cnn also exports the CNN to ONNX, and ONNX Runtime agrees with gd on the held-out digits', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gd-cnn-')), 'model.safetensors');
    const text = execFileSync(
      process.execPath,
      [join(import.meta.dirname, '..', 'dist', 'main.js'), '--model', 'cnn', '--epochs', '1', '--out', out],
      {
        encoding: 'utf8',
        env: { ...process.env, GD_LANG: 'en' },
      },
    );
    const acc = Number(/held-out accuracy (\d+\.\d+)%/.exec(text)?.[1]);
    expect(acc).toBeGreaterThan(90);
    const ort = /saved (.+\.onnx) .*: logits within (\S+) of gd's .*accuracy (\d+\.\d+)% \(gd (\d+\.\d+)%\), (\d+) predictions differ/.exec(
      text,
    );
    expect(ort?.[1]).toBe(out.replace(/safetensors$/, 'onnx'));
    expect(existsSync(ort![1]!)).toBe(true);
    expect(Number(ort![2])).toBeLessThan(1e-4);
    expect([Number(ort![3]), Number(ort![4]), Number(ort![5])]).toEqual([acc, acc, 0]);
  }, 300_000);
});
