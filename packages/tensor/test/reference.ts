// A plain-JS reference for the tensor ops: flat float64 arrays with shapes, written the obvious way.
export interface Ref {
  shape: number[];
  data: number[];
}

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function strides(s: readonly number[]): number[] {
  const out: number[] = new Array(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) out[i] = out[i + 1]! * s[i + 1]!;
  return out;
}

export function unravel(i: number, s: readonly number[]): number[] {
  const st = strides(s);
  return s.map((_, d) => Math.floor(i / st[d]!) % s[d]!);
}

export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('no broadcast');
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Value of `x` at the multi-index `idx` of a broadcast target shape. */
export function at(x: Ref, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  const st = strides(x.shape);
  let flat = 0;
  x.shape.forEach((d, i) => {
    flat += (d === 1 ? 0 : idx[i + off]!) * st[i]!;
  });
  return x.data[flat]!;
}

export function binary(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcast(a.shape, b.shape);
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    return f(at(a, idx), at(b, idx));
  });
  return { shape, data };
}

export function reduceAxis(x: Ref, axis: number, f: (acc: number, v: number) => number, init: (first: number) => number): Ref {
  const shape = x.shape.filter((_, i) => i !== axis);
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    let acc = Number.NaN;
    for (let k = 0; k < x.shape[axis]!; k++) {
      const full = [...idx.slice(0, axis), k, ...idx.slice(axis)];
      const v = at(x, full);
      acc = k === 0 ? init(v) : f(acc, v);
    }
    return acc;
  });
  return { shape, data };
}

export function matmul(a: Ref, b: Ref): Ref {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const data = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) data[i * n + j] += a.data[i * k + p]! * b.data[p * n + j]!;
  return { shape: [m, n], data };
}

export function transpose2d(a: Ref): Ref {
  const [m, n] = a.shape as [number, number];
  return { shape: [n, m], data: Array.from({ length: m * n }, (_, i) => a.data[(i % m) * n + Math.floor(i / m)]!) };
}

/**
 * erf in plain JS, independent of the kernel's rational approximation: for |x| < 3 the series
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (positive terms, no cancellation), above
 * it 1 − erfc(x) with erfc's continued fraction. Good to a few ulp.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  let y: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      sum += term;
    }
    y = (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
  } else y = 1 - erfc(a);
  return x < 0 ? -y : y;
}

/** erfc(x) for x ≥ 3 by its continued fraction, e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
export function erfc(x: number): number {
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Exact GELU, x·Φ(x). */
export const gelu = (x: number): number => (x < -5 ? (x * erfc(-x / Math.SQRT2)) / 2 : 0.5 * x * (1 + erf(x / Math.SQRT2)));

/** GELU's tanh form. */
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
