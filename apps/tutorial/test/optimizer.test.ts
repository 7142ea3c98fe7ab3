import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { optimizerNames } from '@gd/optim';
import { describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');

/** Runs the tour with `args`; its exit code, stdout and stderr. */
function run(args: string[], lang: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [main, ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, GD_LANG: lang, LANG: 'C.UTF-8' },
    });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const { status, stdout, stderr } = e as { status: number; stdout: string; stderr: string };
    return { code: status, stdout, stderr };
  }
}

describe("--optimizer: the names of @gd/optim's registry", () => {
  it('--help lists every optimizer of the registry, in both languages', () => {
    expect(optimizerNames).toContain('adam');
    for (const lang of ['en', 'zh']) {
      const { code, stdout } = run(['--help'], lang);
      expect(code).toBe(0);
      expect(stdout).toContain(`--optimizer ${optimizerNames.join('|')}`);
    }
  });

  it('a name not in the registry is refused with exit code 2 and the list, before any work', () => {
    const en = run(['--optimizer', 'adamx'], 'en');
    expect(en.code).toBe(2);
    expect(en.stderr).toContain(`--optimizer must be one of ${optimizerNames.join(', ')}, got adamx`);
    expect(en.stdout).toBe('');
    const zh = run(['--optimizer', 'toString'], 'zh');
    expect(zh.code).toBe(2);
    expect(zh.stderr).toContain(`--optimizer 只能是 ${optimizerNames.join('、')} 之一，收到的是 toString`);
  });
});
