// Each ```ts block of the README runs as a module importing the package's sources; a
// `console.log(…); // text` line must print that text (whitespace and quote style aside).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

describe('README', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const normalise = (s: string) => s.replace(/\s+/g, '').replaceAll('"', "'");
  it('has a dtype section with a block', () => {
    expect(readme).toContain('## Dtypes and type promotion');
    expect(blocks.some((b) => b.includes("dtype: 'float64'"))).toBe(true);
  });
  blocks.forEach((block, i) => {
    it(`block ${i + 1} runs and prints what its comments say`, async () => {
      const code = block.replaceAll("'@gd/tensor'", JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts')));
      const expected = [...block.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)].map((m) => normalise(m[1]!));
      expect(expected.length).toBeGreaterThan(0);
      const file = join(import.meta.dirname, `.readme-block-${i}.ts`);
      const printed: string[] = [];
      const spy = vi.spyOn(console, 'log').mockImplementation((...args) => void printed.push(normalise(format(...args))));
      writeFileSync(file, code);
      try {
        await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
      } finally {
        spy.mockRestore();
        rmSync(file, { force: true });
      }
      expect(existsSync(file)).toBe(false);
      expect(printed).toEqual(expected);
    });
  });
});
