// Fuzzing the public ops: random chains of ops on random shapes (broadcasting, empty axes, int32
// and float32, views from transpose/slice/broadcastTo) checked against the plain-JS reference,
// and random bad arguments, which must fail with a GdError. Neither may leak a tensor or a byte.
// Replay a failure with FUZZ_SEED=<seed> (fast-check prints it with the failing path); widen a
// run with FUZZ_RUNS=<n>.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { type DType, GdError, memory, type Tensor } from '../src/index.js';
import * as R from './reference.js';

const seed = process.env.FUZZ_SEED === undefined ? 20261125 : Number(process.env.FUZZ_SEED);
const runs = (n: number) => (process.env.FUZZ_RUNS === undefined ? n : Number(process.env.FUZZ_RUNS));
const settings = (n: number) => ({ seed, numRuns: runs(n), endOnFailure: true });

/** A tensor and its reference value. */
interface Pair {
  t: Tensor;
  r: R.Ref;
  dtype: DType;
}

/** One step of a chain: an op and random choices it resolves against the current shape. */
interface Step {
  op: number;
  a: number;
  b: number;
  c: number;
}

const OPS = [
  'add',
  'sub',
  'mul',
  'maximum',
  'minimum',
  'neg',
  'abs',
  'square',
  'relu',
  'transpose',
  'reshape',
  'slice',
  'expandDims',
  'broadcastTo',
  'sum',
  'max',
  'min',
  'mean',
  'cast',
] as const;

/** Small integers, so float32 sums and products are exact and int32 never overflows. */
const valueAt = (i: number, salt: number) => ((i * 31 + salt * 7) % 11) - 5;

function make(shape: number[], dtype: DType, salt: number): Pair {
  const data = Array.from({ length: R.size(shape) }, (_, i) => valueAt(i, salt));
  return { t: T.tensor(data, { shape, dtype }), r: { shape, data }, dtype };
}

function transposeRef(x: R.Ref, perm: number[]): R.Ref {
  const shape = perm.map((p) => x.shape[p]!);
  const data = Array.from({ length: R.size(shape) }, (_, i) => {
    const idx = R.unravel(i, shape);
    const src = new Array<number>(x.shape.length);
    perm.forEach((p, k) => {
      src[p] = idx[k]!;
    });
    return R.at(x, src);
  });
  return { shape, data };
}

function sliceRef(x: R.Ref, begin: number[], size: number[]): R.Ref {
  const data = Array.from({ length: R.size(size) }, (_, i) =>
    R.at(
      x,
      R.unravel(i, size).map((v, k) => v + begin[k]!),
    ),
  );
  return { shape: size, data };
}

/** A permutation of 0…n−1 drawn from `a` (Fisher–Yates with a's digits). */
function permutation(n: number, a: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  let s = a;
  for (let i = n - 1; i > 0; i--) {
    const j = s % (i + 1);
    s = Math.floor(s / (i + 1)) + 7;
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Each broadcasting binary op with its scalar reference. */
const BINARY: Record<string, [(p: Tensor, q: Tensor) => Tensor, (x: number, y: number) => number]> = {
  add: [T.add, (x, y) => x + y],
  sub: [T.sub, (x, y) => x - y],
  mul: [T.mul, (x, y) => x * y],
  maximum: [T.maximum, (x, y) => Math.max(x, y)],
  minimum: [T.minimum, (x, y) => Math.min(x, y)],
};
const REDUCE = { sum: T.sum, max: T.max, min: T.min, mean: T.mean };

/** Applies a step to `cur`, returning the result (null when the step does not apply to this shape). */
function apply(step: Step, cur: Pair, made: Tensor[]): Pair | null {
  const name = OPS[step.op % OPS.length]!;
  const { a, b, c } = step;
  const shape = cur.r.shape;
  const rank = shape.length;
  const out = (t: Tensor, r: R.Ref, dtype: DType): Pair => {
    made.push(t);
    return { t, r, dtype };
  };
  if (name in BINARY) {
    // the other operand: some axes set to 1, some leading axes dropped, either dtype, either side
    const drop = b % (rank + 1);
    const otherShape = shape.slice(drop).map((d, i) => ((a >> i) & 1 ? 1 : d));
    const other = make(otherShape, c & 1 ? 'int32' : 'float32', a + b);
    made.push(other.t);
    const swap = (c >> 1) & 1;
    const [x, y] = swap ? [other, cur] : [cur, other];
    const [g, f] = BINARY[name]!;
    const dtype: DType = x.dtype === 'int32' && y.dtype === 'int32' ? 'int32' : 'float32';
    const t = g(x.t, y.t);
    return out(t, R.binary(x.r, y.r, f), dtype);
  }
  switch (name) {
    case 'neg':
      return out(T.neg(cur.t), { shape, data: cur.r.data.map((v) => -v) }, cur.dtype);
    case 'abs':
      return out(T.abs(cur.t), { shape, data: cur.r.data.map(Math.abs) }, cur.dtype);
    case 'square':
      return out(T.square(cur.t), { shape, data: cur.r.data.map((v) => v * v) }, cur.dtype);
    case 'relu':
      // NaN propagates (as PyTorch), in the SIMD body and the scalar tail alike
      return out(T.relu(cur.t), { shape, data: cur.r.data.map((v) => Math.max(v, 0)) }, cur.dtype);
    case 'transpose': {
      const perm = permutation(rank, a);
      return out(T.transpose(cur.t, perm), transposeRef(cur.r, perm), cur.dtype);
    }
    case 'reshape': {
      const target = b % 2 === 0 ? [R.size(shape)] : [...shape].reverse();
      if (c % 2 === 1 && target.length > 0 && R.size(shape) > 0) target[a % target.length] = -1;
      const resolved = target.map((d, i) => (d === -1 ? R.size(shape) / target.reduce((p, q, k) => (k === i ? p : p * q), 1) : d));
      return out(T.reshape(cur.t, target), { shape: resolved, data: cur.r.data }, cur.dtype);
    }
    case 'slice': {
      const begin = shape.map((d, i) => ((a >> (2 * i)) + i) % (d + 1));
      const size = shape.map((d, i) => ((b >> (2 * i)) + c) % (d - begin[i]! + 1));
      return out(T.slice(cur.t, begin, size), sliceRef(cur.r, begin, size), cur.dtype);
    }
    case 'expandDims': {
      if (rank >= 4) return null;
      const axis = a % (rank + 1);
      const s = [...shape.slice(0, axis), 1, ...shape.slice(axis)];
      return out(T.expandDims(cur.t, axis), { shape: s, data: cur.r.data }, cur.dtype);
    }
    case 'broadcastTo': {
      if (rank >= 4) return null;
      const target = [a % 3, ...shape];
      const r: R.Ref = { shape: target, data: Array.from({ length: R.size(target) }, (_, i) => R.at(cur.r, R.unravel(i, target))) };
      return out(T.broadcastTo(cur.t, target), r, cur.dtype);
    }
    case 'sum':
    case 'max':
    case 'min':
    case 'mean': {
      if (rank === 0) return null;
      const axis = a % rank;
      const keepDims = (b & 1) === 1;
      const n = shape[axis]!;
      if ((name === 'max' || name === 'min') && n === 0) return null;
      const f = { sum: (p: number, q: number) => p + q, mean: (p: number, q: number) => p + q, max: Math.max, min: Math.min }[name];
      let r = R.reduceAxis(cur.r, axis, f, (v) => v);
      if (n === 0) r = { shape: r.shape, data: r.data.map(() => (name === 'sum' ? 0 : Number.NaN)) };
      else if (name === 'mean') r = { shape: r.shape, data: r.data.map((v) => v / n) };
      if (keepDims) r = { shape: shape.map((d, i) => (i === axis ? 1 : d)), data: r.data };
      const t = REDUCE[name](cur.t, c & 1 ? axis - rank : axis, keepDims);
      return out(t, r, name === 'mean' ? 'float32' : cur.dtype);
    }
    case 'cast': {
      const to: DType = cur.dtype === 'int32' ? 'float32' : 'int32';
      // float → int32 truncates toward zero; NaN becomes 0 (saturating conversion)
      const data = to === 'int32' ? cur.r.data.map((v) => (Number.isNaN(v) ? 0 : Math.trunc(v) + 0)) : cur.r.data;
      return out(T.cast(cur.t, to), { shape, data }, to);
    }
  }
  return null;
}

function expectMatches(p: Pair, path: string): void {
  expect(p.t.shape, path).toEqual(p.r.shape);
  expect(p.t.dtype, path).toBe(p.dtype);
  const got = Array.from(p.t.data());
  got.forEach((v, i) => {
    const want = p.r.data[i]!;
    if (Number.isNaN(want)) expect(v, `${path} at ${i}`).toBeNaN();
    else expect(Math.abs(v - want), `${path} at ${i}: ${v} vs ${want}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
  });
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 });
const stepArb = fc.record({
  op: fc.nat({ max: OPS.length - 1 }),
  a: fc.nat({ max: 1 << 12 }),
  b: fc.nat({ max: 1 << 12 }),
  c: fc.nat({ max: 15 }),
});

describe('fuzz: random chains of ops match the plain-JS reference', () => {
  it('and leave no tensor or byte behind', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), fc.array(stepArb, { minLength: 1, maxLength: 6 }), (shape, int, steps) => {
        const before = memory();
        const made: Tensor[] = [];
        try {
          let cur = make(shape, int ? 'int32' : 'float32', shape.length);
          made.push(cur.t);
          const path: string[] = [`${int ? 'int32' : 'float32'}[${shape}]`];
          for (const step of steps) {
            const next = apply(step, cur, made);
            if (!next) continue;
            path.push(`${OPS[step.op]}(${step.a},${step.b},${step.c}) → [${next.r.shape}]`);
            expectMatches(next, path.join(' · '));
            cur = next;
            // keep values where float32 is exact and int32 cannot overflow
            if (cur.r.data.some((v) => Math.abs(v) > 1e6) || R.size(cur.r.shape) > 4096) break;
          }
        } finally {
          for (const t of made) t.dispose();
        }
        expect(memory().tensors).toBe(before.tensors);
        expect(memory().bytesInUse).toBe(before.bytesInUse);
      }),
      settings(1000),
    );
  });
});

// Values a hostile caller passes where a number, a shape, an axis or a tensor is expected.
const junk = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0.5, -0.5, 2 ** 31, 2 ** 53, 1e300, -0),
  fc.constantFrom('x', '', null, undefined, true, {}, [], [[1], [2, 3]], [Number.NaN], [-1], [0.5], [1e9, 1e9], Symbol('s')),
  fc.integer({ min: -10, max: 10 }),
  fc.double(),
  fc.array(fc.integer({ min: -3, max: 5 }), { maxLength: 4 }),
);

type Call = (x: Tensor, j: unknown, k: unknown) => unknown;
const j = (v: unknown) => v as never;
const CALLS: Record<string, Call> = {
  add: (x, v) => T.add(x, j(v)),
  mul: (x, v) => T.mul(j(v), x),
  div: (x, v) => T.div(x, j(v)),
  pow: (x, v) => T.pow(x, j(v)),
  maximum: (x, v) => T.maximum(x, j(v)),
  where: (x, v, w) => T.where(j(v), x, j(w)),
  sum: (x, v, w) => T.sum(x, j(v), j(w)),
  mean: (x, v) => T.mean(x, j(v)),
  max: (x, v) => T.max(x, j(v)),
  argmax: (x, v) => T.argmax(x, j(v)),
  softmax: (x, v) => T.softmax(x, j(v)),
  logSoftmax: (x, v) => T.logSoftmax(x, j(v)),
  logSumExp: (x, v) => T.logSumExp(x, j(v)),
  reshape: (x, v) => T.reshape(x, j(v)),
  transpose: (x, v) => T.transpose(x, j(v)),
  slice: (x, v, w) => T.slice(x, j(v), j(w)),
  expandDims: (x, v) => T.expandDims(x, j(v)),
  squeeze: (x, v) => T.squeeze(x, j(v)),
  broadcastTo: (x, v) => T.broadcastTo(x, j(v)),
  gather: (x, v, w) => T.gather(x, j(v), j(w)),
  concat: (x, v, w) => T.concat([x, j(v)], j(w)),
  matmul: (x, v) => T.matmul(x, j(v)),
  clamp: (x, v, w) => T.clamp(x, j(v), j(w)),
  leakyRelu: (x, v) => T.leakyRelu(x, j(v)),
  cast: (x, v) => T.cast(x, j(v)),
  oneHot: (_, v, w) => T.oneHot(j(v), j(w)),
  tensor: (_, v, w) => T.tensor(j(v), j(w)),
  full: (_, v, w) => T.full(j(v), j(w)),
  zeros: (_, v, w) => T.zeros(j(v), j(w)),
  arange: (_, v, w) => T.arange(j(v), j(w)),
  linspace: (_, v, w) => T.linspace(0, j(v), j(w)),
  eye: (_, v, w) => T.eye(j(v), j(w)),
  randn: (_, v) => T.randn(j(v)),
  rand: (_, v, w) => T.rand([2], { low: j(v), high: j(w) }),
  randint: (_, v, w) => T.randint(j(v), j(w), [2]),
  randperm: (_, v) => T.randperm(j(v)),
  dropoutMask: (_, v, w) => T.dropoutMask(j(v), j(w)),
  manualSeed: (_, v) => T.manualSeed(j(v)),
  scope: (_, v) => T.scope(j(v)),
  item: (x) => x.item(),
};

/** A junk argument that would make a call allocate without bound is replaced by a small one. */
const bounded = (v: unknown) => (typeof v === 'number' && Math.abs(v) > 64 && Number.isFinite(v) ? v % 64 : v);

describe('fuzz: bad arguments fail with a GdError and leak nothing', () => {
  it('on every public op', () => {
    const names = Object.keys(CALLS);
    fc.assert(
      fc.property(fc.constantFrom(...names), shapeArb, fc.boolean(), junk, junk, fc.boolean(), (name, shape, int, v, w, disposed) => {
        const before = memory();
        const x = make(shape, int ? 'int32' : 'float32', 1).t;
        if (disposed) x.dispose();
        let result: unknown;
        try {
          result = CALLS[name]!(x, name === 'arange' || name === 'linspace' ? bounded(v) : v, w);
        } catch (e) {
          if (!(e instanceof GdError))
            throw new Error(`${name}(${String(v)}, ${String(w)}) threw a raw ${(e as Error)?.constructor?.name}: ${e}`);
        }
        // a call that succeeded returns a proper tensor, which the caller owns
        if (result instanceof T.Tensor) result.dispose();
        if (!x.isDisposed) x.dispose();
        expect(memory().tensors, name).toBe(before.tensors);
        expect(memory().bytesInUse, name).toBe(before.bytesInUse);
      }),
      settings(3000),
    );
  });
});
