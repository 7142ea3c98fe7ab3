// The elementwise ops generated from their kernel codes (`@op name` in assembly/elementwise.ts and
// broadcast.ts): each is a package export and a Tensor method with the kernel's result; and tan,
// in float32 and float64, against PyTorch 1.13's values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as g from '../src/index.js';

const T64 = { dtype: 'float64' } as const;
const X = [-1.2, -0.5, 0, 0.3, 1, 1.5, 3];
// torch.tan(torch.tensor(X, dtype=...)).tolist(), PyTorch 1.13
const TORCH_TAN_F64 = [
  -2.5721516221263188, -0.5463024898437905, 0, 0.30933624960962325, 1.5574077246549023, 14.101419947171719, -0.1425465430742778,
];
const TORCH_TAN_F32 = [
  -2.5721518993377686, -0.5463024973869324, 0, 0.30933627486228943, 1.5574077367782593, 14.101420402526855, -0.14254654943943024,
];

beforeAll(async () => {
  await g.ready();
});

/** Largest |a − b| / max(|b|, 1) over two arrays of one length. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1));
  return m;
}

describe('unary ops from their kernel codes', () => {
  const source = readFileSync(join(import.meta.dirname, '..', 'assembly', 'elementwise.ts'), 'utf8');
  const declared = [...source.matchAll(/@op (\w+)/g)].map(([, name]) => name!);

  it('every @op code is a documented export and a Tensor method computing the same', () => {
    expect(declared).toContain('tan');
    expect(declared).toContain('neg');
    const exports = g as unknown as Record<string, (x: g.Tensor) => g.Tensor>;
    g.scope(() => {
      const x = g.tensor([0.25, 0.5, 0.75]);
      for (const name of declared) {
        expect(typeof exports[name], name).toBe('function');
        const method = (x as unknown as Record<string, () => g.Tensor>)[name]!;
        expect(typeof method, name).toBe('function');
        expect(Array.from(method.call(x).data()), name).toEqual(Array.from(exports[name]!(x).data()));
      }
    });
  });

  it('every @op code of assembly/broadcast.ts is an export and a Tensor method broadcasting the same', () => {
    const binarySource = readFileSync(join(import.meta.dirname, '..', 'assembly', 'broadcast.ts'), 'utf8');
    const binary = [...binarySource.matchAll(/@op (\w+)/g)].map(([, name]) => name!);
    expect(binary).toEqual(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']);
    const exports = g as unknown as Record<string, (a: g.Tensor, b: g.Tensor) => g.Tensor>;
    g.scope(() => {
      const a = g.tensor([[0.25], [0.5]]);
      const b = g.tensor([1.5, 2, 3]);
      for (const name of binary) {
        const out = exports[name]!(a, b);
        expect(out.shape, name).toEqual([2, 3]);
        const method = (a as unknown as Record<string, (b: g.Tensor) => g.Tensor>)[name]!;
        expect(Array.from(method.call(a, b).data()), name).toEqual(Array.from(out.data()));
      }
      expect(Array.from(g.pow(a, b).data())).toEqual([0.25 ** 1.5, 0.25 ** 2, 0.25 ** 3, 0.5 ** 1.5, 0.5 ** 2, 0.5 ** 3].map(Math.fround));
    });
  });

  it('tan matches PyTorch: float64 to rounding, float32 within 2 ulp', () => {
    g.scope(() => {
      const e64 = relErr(g.tensor(X, T64).tan().data(), TORCH_TAN_F64);
      expect(e64 <= 4e-16, `float64 error ${e64}`).toBe(true);
      const t32 = g.tan(X);
      expect(t32.dtype).toBe('float32');
      const e32 = relErr(t32.data(), TORCH_TAN_F32);
      expect(e32 <= 2.4e-7, `float32 error ${e32}`).toBe(true);
    });
  });

  it('tan identities: odd, tan = sin/cos, NaN and ±∞ give NaN, int32 computes in float32', () => {
    g.scope(() => {
      const xs = Array.from({ length: 41 }, (_, i) => -1.5 + i * 0.075);
      const t = g.tensor(xs, T64);
      const pos = Array.from(g.tan(t).data());
      const neg = Array.from(g.tan(t.neg()).data());
      expect(neg).toEqual(pos.map((v) => -v));
      const ratio = g.sin(t).div(g.cos(t)).data();
      expect(relErr(pos, ratio) <= 1e-15).toBe(true);
      const special = Array.from(g.tan(g.tensor([Number.NaN, Infinity, -Infinity], T64)).data());
      expect(special.every(Number.isNaN)).toBe(true);
      const ints = g.tensor([0, 1, -1], { dtype: 'int32' }).tan();
      expect(ints.dtype).toBe('float32');
      expect(Array.from(ints.data())).toEqual([0, 1, -1].map((v) => Math.fround(Math.tan(v))));
    });
  });
});
