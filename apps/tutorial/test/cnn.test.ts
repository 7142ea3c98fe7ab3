import { execFileSync } from 'node:child_process';
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
      });
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--model must be mlp or cnn, got rnn');
  });
});
