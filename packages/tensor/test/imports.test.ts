// The file-level import graph of src/: value imports only (`import type` is erased at build time).
// The graph is acyclic: the Tensor class imports no op (methods.ts installs its fluent methods),
// the runtime never imports the threads or the ops, and the op families import each other one way.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(srcDir)) {
    const text = readFileSync(f, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/^(import|export)(?!\s+type\b)[^;]*?from\s+'(\.[^']+)';/gms)) {
      // a named list made only of `type X` entries is erased too
      const names = /\{([^}]*)\}/.exec(m[0])?.[1];
      if (names?.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '))) continue;
      deps.push(relative(srcDir, resolve(dirname(f), m[2]!.replace(/\.js$/, '.ts'))));
    }
    g.set(relative(srcDir, f), deps);
  }
  return g;
}

function findCycle(g: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of g.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

it('the graph reads the imports: a cycle is found where there is one', () => {
  const g = graph();
  expect(g.get('methods.ts')).toContain('tensor.ts');
  expect(findCycle(new Map([...g, ['tensor.ts', [...g.get('tensor.ts')!, 'methods.ts']]]))).toBeDefined();
});

it('there is no import cycle: the Tensor class imports no op, the runtime not the threads', () => {
  const g = graph();
  expect(g.get('tensor.ts')!.filter((d) => d.startsWith('ops') || d.startsWith('generated/methods'))).toEqual([]);
  expect(g.get('runtime.ts')).not.toContain('threads.ts');
  expect(findCycle(g)).toBeUndefined();
});

it('only runtime.ts makes views of WebAssembly memory (the worker program in threads.ts aside)', () => {
  for (const f of files(srcDir)) {
    const rel = relative(srcDir, f);
    if (rel === 'runtime.ts' || rel.startsWith('generated')) continue;
    let text = readFileSync(f, 'utf8');
    if (rel === 'threads.ts') text = text.replace(/const (SERVE|NODE_WORKER|WEB_WORKER) = `[^`]*`;/gs, '');
    expect(text, rel).not.toMatch(/memory\.buffer(?!\.byteLength)|\.buffer\)|heap(F32|I32|U8)\(/);
  }
});

it('gradient-only helpers live in the grad subpath, not the root', async () => {
  const root = await import('../src/index.js');
  const grad = await import('../src/grad.js');
  const helpers = [
    'reluBackward',
    'sigmoidBackward',
    'tanhBackward',
    'geluBackward',
    'softmaxBackward',
    'gatherBackward',
    'sumTo',
    'padSlice',
  ];
  for (const name of helpers) {
    expect(name in root, name).toBe(false);
    expect(typeof (grad as Record<string, unknown>)[name], name).toBe('function');
  }
});
