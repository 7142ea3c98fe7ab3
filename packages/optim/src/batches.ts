// Minibatches for SGD (docs/tutorial.md §2.4): each step sees a few samples, drawn in a seeded random order.
import { gather, Tensor, tensor, ValueError } from '@gd/tensor';

/** A dataset: tensors whose first axis indexes samples (an array, or a record of named tensors). */
export type Dataset = readonly Tensor[] | Readonly<Record<string, Tensor>>;

/** Options of batches(). */
export interface BatchOptions {
  batchSize: number;
  /** Reshuffle every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling; the order of epoch e is fixed by (seed, e). Default 0. */
  seed?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** Minibatches over a dataset, one epoch per iteration of `epoch(e)`. */
export interface Batches<D extends Dataset> extends Iterable<D> {
  /** Batches per epoch. */
  readonly length: number;
  /** Samples in the dataset. */
  readonly samples: number;
  /** The batches of epoch e (0-based), in that epoch's order. */
  epoch(e: number): Iterable<D>;
}

// xoshiro128** in plain integer JS: the same permutation on every engine for a seed.
/** @internal A seeded permutation of 0…n−1 (shared with data.ts). */
export function permutation(n: number, seed: number): Int32Array {
  let a = seed ^ 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed * 0x85ebca6b;
  const next = (): number => {
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r;
  };
  for (let i = 0; i < 8; i++) next();
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((next() / 4294967296) * (i + 1));
    const tmp = p[i]!;
    p[i] = p[j]!;
    p[j] = tmp;
  }
  return p;
}

/** A batch is freed when the next one is taken, or when the loop ends; keep() opts a tensor out. */
function release(batch: readonly Tensor[]): void {
  for (const t of batch) if (!t.kept) t.dispose();
}

/** @internal The sample order of epoch e: seeded by (seed, e) when shuffling, else 0…n−1 (shared with data.ts). */
export function epochOrder(n: number, shuffle: boolean, seed: number, e: number): Int32Array {
  return shuffle ? permutation(n, (seed * 1000003 + e) >>> 0) : Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * @internal The `count` batches of one epoch (shared with data.ts): batch k gathers the rows
 * `rowOf(order[k·size … (k+1)·size))` of every tensor, and is freed when the next one is taken or
 * the loop ends (also by `break` or a throw).
 */
export function* epochBatches(
  tensors: readonly Tensor[],
  order: Int32Array,
  size: number,
  count: number,
  rowOf?: (sample: number) => number,
): Generator<Tensor[]> {
  let current: Tensor[] = [];
  try {
    for (let k = 0; k < count; k++) {
      release(current);
      const part = order.subarray(k * size, Math.min(order.length, (k + 1) * size));
      const idx = tensor(rowOf ? part.map(rowOf) : part);
      current = tensors.map((t) => gather(t, idx, 0));
      idx.dispose();
      yield current;
    }
  } finally {
    // the loop ended, broke or threw: the last batch goes too
    release(current);
  }
}

/**
 * Splits a dataset into minibatches, reshuffled each epoch with a seed. Each batch holds new
 * tensors (gathered rows), freed when the next batch is taken or when the loop ends (also by
 * `break` or a throw), so a plain `for…of` loop does not leak; a batch wanted for longer is
 * `clone()`d or `keep()`-ed (then disposed by hand).
 *
 * @example
 * ```ts
 * for (const [x, y] of batches([X, Y], { batchSize: 32, seed: 1 })) { … }
 * ```
 */
export function batches<D extends Dataset>(dataset: D, options: BatchOptions): Batches<D> {
  if (dataset === null || typeof dataset !== 'object')
    throw new ValueError(`batches: the dataset must be an array or a record of tensors, got ${String(dataset)}`);
  if (options === null || typeof options !== 'object')
    throw new ValueError(`batches: options must be an object with batchSize, got ${String(options)}`);
  const tensors = Array.isArray(dataset) ? (dataset as Tensor[]) : Object.values(dataset as Record<string, Tensor>);
  tensors.forEach((t: unknown, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`batches: dataset entry ${i} is ${t === null ? 'null' : typeof t}; expected a Tensor`);
  });
  if (tensors.length === 0) throw new ValueError('batches: the dataset has no tensors');
  const n = tensors[0]!.shape[0];
  if (n === undefined) throw new ValueError('batches: dataset tensors need a sample axis (rank ≥ 1)');
  for (const t of tensors)
    if (t.shape[0] !== n) throw new ValueError(`batches: tensors have ${n} and ${t.shape[0]} samples; they must agree`);
  const size = options.batchSize;
  if (!Number.isInteger(size) || size < 1) throw new ValueError(`batches: batchSize must be a positive integer, got ${size}`);
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? 0;
  const count = options.dropLast ? Math.floor(n / size) : Math.ceil(n / size);
  const keys = Array.isArray(dataset) ? null : Object.keys(dataset);
  const epoch = (e: number): Iterable<D> => ({
    *[Symbol.iterator]() {
      for (const picked of epochBatches(tensors, epochOrder(n, shuffle, seed, e), size, count))
        yield (keys ? Object.fromEntries(keys.map((key, i) => [key, picked[i]])) : picked) as unknown as D;
    },
  });
  let epochs = 0;
  return {
    length: count,
    samples: n,
    epoch,
    [Symbol.iterator]() {
      return epoch(epochs++)[Symbol.iterator]();
    },
  };
}
