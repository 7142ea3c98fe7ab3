// Every ```ts and ```js block of the repository's documents runs as written, and prints what its
// comments say: each console.log line ends in `// expected output`, compared with what the block
// printed (whitespace and quote style aside; a remark after two spaces, `  (like this)`, is not
// part of the output). A block runs inside the package whose README holds it, so `@gd/*` resolve
// as they would for a user of that package; root documents run inside this package, which
// depends on every published one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const here = join(import.meta.dirname, '..');

/** The documents whose code blocks must run, each with the folder its blocks run from. */
function documents(): Array<{ file: string; cwd: string }> {
  const docs: Array<{ file: string; cwd: string }> = [{ file: join(root, 'README.md'), cwd: here }];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const readme = join(root, group, name, 'README.md');
      if (existsSync(readme)) docs.push({ file: readme, cwd: join(root, group, name) });
    }
  }
  for (const dir of ['docs', join('docs', 'guides')]) {
    for (const name of readdirSync(join(root, dir))) {
      if (name.endsWith('.md')) docs.push({ file: join(root, dir, name), cwd: here });
    }
  }
  return docs;
}

/** The code blocks of a Markdown text that are meant to run. */
export function codeBlocks(markdown: string): Array<{ lang: 'ts' | 'js'; code: string }> {
  return [...markdown.matchAll(/^```(ts|js)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] as 'ts' | 'js', code: m[2]! }));
}

const normalise = (s: string): string => s.replace(/\s+/g, '').replaceAll('"', "'");

/** The `// expected` comment of every console.log line, in order, normalised. */
export function expectedOutput(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => l.trimStart().startsWith('console.log('))
    .map((l) => {
      const at = l.lastIndexOf('// ');
      if (at < 0) throw new Error(`a console.log line says nothing of its output: ${l}`);
      return normalise(
        l
          .slice(at + 3)
          .replace(/\s{2,}\(.*\)\s*$/, '')
          .trim(),
      );
    });
}

const ran: string[] = [];
afterAll(() => {
  for (const dir of ran) rmSync(dir, { recursive: true, force: true });
});

for (const { file, cwd } of documents()) {
  const blocks = codeBlocks(readFileSync(file, 'utf8'));
  if (blocks.length === 0) continue;
  describe(relative(root, file), () => {
    blocks.forEach(({ lang, code }, i) => {
      it(`block ${i + 1} prints what its comments say`, () => {
        const dir = join(cwd, '.docs-blocks');
        mkdirSync(dir, { recursive: true });
        ran.push(dir);
        const js =
          lang === 'ts'
            ? ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
            : code;
        const path = join(dir, `${relative(root, file).replace(/\.md$/, '').replaceAll('/', '-')}-${i + 1}.mjs`);
        writeFileSync(path, js);
        const printed = execFileSync(process.execPath, [path], { cwd, encoding: 'utf8', timeout: 60_000 })
          .trimEnd()
          .split('\n')
          .map(normalise);
        const expected = expectedOutput(code);
        expect(expected.length).toBeGreaterThan(0);
        expect(printed).toEqual(expected);
      });
    });
  });
}

describe('the document check itself', () => {
  it('finds the blocks of every README, of docs/ and of the guides in docs/guides/', () => {
    const files = documents().map((d) => relative(root, d.file));
    expect(files).toContain('README.md');
    expect(files).toContain('packages/tensor/README.md');
    expect(files).toContain('docs/tutorial.md');
    for (const guide of ['memory', 'training', 'saving', 'threads', 'pytorch', 'attention'])
      expect(files).toContain(`docs/guides/${guide}.md`);
  });
  it('runs the Chinese tutorial too, whose examples print what the English one prints', () => {
    expect(documents().map((d) => relative(root, d.file))).toContain('docs/tutorial.zh.md');
    const printed = (file: string) => codeBlocks(readFileSync(join(root, 'docs', file), 'utf8')).map((b) => expectedOutput(b.code));
    const en = printed('tutorial.md');
    expect(en.length).toBeGreaterThan(0);
    expect(printed('tutorial.zh.md')).toEqual(en);
  });
  it('catches a wrong comment, and ignores remarks', () => {
    expect(expectedOutput("console.log(1 + 1); // 2\nconst x = 1;\nconsole.log('a', 'b'); // a b  (two letters)")).toEqual(['2', 'ab']);
    expect(() => expectedOutput('console.log(3);')).toThrow(/says nothing of its output/);
    expect(codeBlocks('```sh\nls\n```\n```ts\nconst a = 1;\n```\n')).toEqual([{ lang: 'ts', code: 'const a = 1;\n' }]);
  });
});

/** The gd names of the "PyTorch → gd" table: the identifier of each `code` span of its right column. */
export function gdNamesOfTable(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('PyTorch → gd'));
  if (!section) throw new Error('no "PyTorch → gd" section');
  const rows = section.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l));
  return rows.slice(1).flatMap((row) => {
    const right = row.split('|')[2] ?? '';
    // `x.name(…)`, `name`, `new Name(…)`: the name after an optional receiver
    return [...right.matchAll(/`(?:[a-z]+\.)?([A-Za-z_]\w*)/g)].map((m) => m[1]!);
  });
}

describe('the PyTorch → gd table of docs/guides/pytorch.md', () => {
  it('names only what exists: package exports, or methods and fields of Tensor, Variable, Module and Optimizer', async () => {
    const T = await import('@gd/tensor');
    const A = await import('@gd/autograd');
    const N = await import('@gd/nn');
    const O = await import('@gd/optim');
    const L = await import('@gd/losses');
    await T.ready();
    const known = new Set<string>();
    for (const m of [T, A, N, O, L]) for (const k of Object.keys(m)) known.add(k);
    for (let proto of [T.Tensor.prototype, A.Variable.prototype, N.Module.prototype, O.Optimizer.prototype] as object[]) {
      for (; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto))
        for (const k of Object.getOwnPropertyNames(proto)) known.add(k);
    }
    const v = A.variable([1]);
    for (const k of Object.keys(v)) known.add(k);
    const names = gdNamesOfTable(readFileSync(join(root, 'docs', 'guides', 'pytorch.md'), 'utf8'));
    expect(names.length).toBeGreaterThan(80);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    // the check itself catches a name that does not exist
    expect(
      gdNamesOfTable('## PyTorch → gd\n| a | b |\n| - | - |\n| `x.permute(p)` | `x.permutate(p)`, `tensor` |\n').filter(
        (n) => !known.has(n),
      ),
    ).toEqual(['permutate']);
  });
});
