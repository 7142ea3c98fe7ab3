// The code blocks of docs/tutorial.md run as written, and print what their comments say: each
// console.log line ends in `// expected output`, compared with what the block printed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const doc = join(import.meta.dirname, '..', '..', '..', 'docs', 'tutorial.md');
const blocks = [...readFileSync(doc, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
// inside this package so that `@gd/*` resolve to its dependencies, as they would for a user
const dir = join(import.meta.dirname, '..', 'node_modules', '.docs-blocks');

/** The `// expected` comment of every console.log line, in order. */
function expectedOutput(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => l.trimStart().startsWith('console.log('))
    .map((l) => {
      const at = l.lastIndexOf('// ');
      if (at < 0) throw new Error(`docs/tutorial.md: a console.log line says nothing of its output: ${l}`);
      return l.slice(at + 3).trim();
    });
}

describe('docs/tutorial.md', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has code blocks to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });
  blocks.forEach((code, i) => {
    it(`block ${i + 1} prints what its comments say`, () => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `block-${i + 1}.mjs`);
      writeFileSync(file, code);
      const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trimEnd().split('\n');
      const expected = expectedOutput(code);
      expect(expected.length).toBeGreaterThan(0);
      expect(printed).toEqual(expected);
    });
  });
  it('the comparison catches a wrong comment', () => {
    expect(expectedOutput("console.log(1 + 1); // 2\nconst x = 1;\nconsole.log('a', 'b'); // a b")).toEqual(['2', 'a b']);
    expect(() => expectedOutput('console.log(3);')).toThrow(/says nothing of its output/);
  });
});
