import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('pnpm start --model poem', () => {
  it('a short run on 400 quatrains: the transformer is less surprised than the bigram, and the saved model scores the same', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gd-poem-')), 'poem.safetensors');
    const text = execFileSync(
      process.execPath,
      [join(import.meta.dirname, '..', 'dist', 'main.js'), '--model', 'poem', '--poems', '400', '--epochs', '4', '--out', out],
      { encoding: 'utf8' },
    );
    const line = /^held-out cross-entropy \(bits\/char\): uniform (\S+) \| unigram (\S+) \| bigram (\S+) \| transformer (\S+)$/m.exec(text);
    expect(line, text).not.toBeNull();
    const [uniform, unigram, bigram, transformer] = line!.slice(1).map(Number) as [number, number, number, number];
    // 359 training poems hold 1,546 distinct characters and an unknown one: log₂ 1547
    expect(Math.abs(uniform - Math.log2(1547)) <= 5e-4, String(uniform)).toBe(true);
    expect(unigram < uniform && bigram < unigram && transformer < bigram, line![0]).toBe(true);
    const form =
      /^form: (\d+) of 32 samples are well-formed quatrains .*; (\d+) of (\d+) generated lines appear verbatim in the training poems$/m.exec(
        text,
      );
    expect(form, text).not.toBeNull();
    expect(Number(form![2])).toBeLessThanOrEqual(Number(form![3]));
    const reloaded = /reloaded into a fresh model with its vocabulary: held-out (\S+) bits\/char/.exec(text);
    expect(Number(reloaded?.[1])).toBe(transformer);
    expect(existsSync(out)).toBe(true);
    // exported to ONNX beside it: ONNX Runtime's next-character distributions are gd's
    const onnx = /ONNX Runtime \S+ on 16 held-out poems: next-character probabilities within (\S+) of gd's/.exec(text);
    expect(onnx, text).not.toBeNull();
    expect(Number(onnx![1]) <= 1e-5, onnx![0]).toBe(true);
    expect(existsSync(out.replace(/\.safetensors$/, '.onnx'))).toBe(true);
  }, 900_000);

  it('refuses a --poems that is not a count of poems', () => {
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js'), '--model', 'poem', '--poems', 'many'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--poems must be an integer of at least 20, got many');
  }, 300_000);
});
