// The op table and the Variable do not import each other: variable.ts (the Variable, its methods
// and apply) imports the op table, whose rules work on Tensors and import nothing of it but types.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const source = (file: string) => readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
const valueImports = (text: string) =>
  [...text.matchAll(/^import(?!\s+type\b)([^;]*?)from\s+'(\.[^']+)';/gms)]
    .filter(
      (m) =>
        !/^\s*\{([^}]*)\}\s*$/.test(m[1]!) ||
        !/^\s*\{([^}]*)\}/
          .exec(m[1]!)![1]!
          .split(',')
          .every((n) => n.trim() === '' || n.trim().startsWith('type ')),
    )
    .map((m) => m[2]);

it('ops.ts imports nothing from variable.ts but types; variable.ts imports the op table', () => {
  expect(valueImports(source('ops.ts'))).not.toContain('./variable.js');
  expect(valueImports(source('variable.ts'))).toContain('./ops.js');
});
