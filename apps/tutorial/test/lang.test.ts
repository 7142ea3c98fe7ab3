import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { columns, pickLang } from '../src/messages.js';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');

/** Runs the tour with one epoch; returns its printed lines with the output folder named <dir>. */
function tour(args: string[], env: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gd-lang-'));
  const text = execFileSync(process.execPath, [main, '--epochs', '1', '--out', join(dir, 'model.safetensors'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, GD_LANG: '', LANG: 'C.UTF-8', ...env },
  });
  return text.split('\n').map((l) => l.replaceAll(dir, '<dir>'));
}

/** The numbers of a line, in order; wall-clock times (a number of seconds) are left out. */
const numbers = (line: string): string[] => line.replace(/\d+(\.\d+)? ?(s\b|秒)/g, '').match(/[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g) ?? [];

describe('the tour in Chinese', () => {
  it('--lang zh prints every line of the English tour in Chinese, with the same numbers in the same order', () => {
    const en = tour([], {});
    const zh = tour(['--lang', 'zh'], {});
    expect(zh.length).toBe(en.length);
    expect(en.join('\n')).toContain('held-out accuracy');
    expect(zh.join('\n')).toContain('留出集准确率');
    let compared = 0;
    en.forEach((line, i) => {
      const n = numbers(line);
      expect(numbers(zh[i]!), `line ${i + 1}: ${line}  |  ${zh[i]}`).toEqual(n);
      compared += n.length;
      // a line with words says them in Chinese (a table row of numbers and names may not)
      if (/[a-z]{4,} [a-z]{4,}/.test(line.replace(/float\d\d|<dir>\S*|ONNX Runtime|Linear|Sigmoid|sigmoid/g, '')))
        expect(zh[i], `line ${i + 1} is not in Chinese: ${zh[i]}`).toMatch(/[\u4e00-\u9fff]/);
    });
    expect(compared).toBeGreaterThan(150);
  }, 180_000);

  it('GD_LANG, then a LANG starting with zh, choose the default; --lang overrides both', () => {
    expect(pickLang(undefined, {})).toBe('en');
    expect(pickLang(undefined, { LANG: 'zh_CN.UTF-8' })).toBe('zh');
    expect(pickLang(undefined, { LANG: 'en_US.UTF-8' })).toBe('en');
    expect(pickLang(undefined, { GD_LANG: 'en', LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(pickLang(undefined, { GD_LANG: 'zh' })).toBe('zh');
    expect(pickLang('en', { GD_LANG: 'zh', LANG: 'zh_TW.UTF-8' })).toBe('en');
    expect(pickLang('zh-CN', {})).toBe('zh');
    expect(pickLang('fr', {})).toBeUndefined();
    expect(pickLang(undefined, { GD_LANG: 'klingon' })).toBeUndefined();
  });

  it('the environment reaches the tour: LANG=zh_CN.UTF-8 prints Chinese, and a wrong --lang is refused', () => {
    const help = execFileSync(process.execPath, [main, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, GD_LANG: '', LANG: 'zh_CN.UTF-8' },
    });
    expect(help).toContain('用法');
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [main, '--lang', 'fr'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--lang must be en or zh, got fr');
  });

  it('a Chinese character takes two terminal columns, so the tables line up', () => {
    expect(columns('loss')).toBe(4);
    expect(columns('损失')).toBe(4);
    expect(columns('η = 2.5（太大）')).toBe(15);
  });
});
