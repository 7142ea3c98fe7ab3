// The data helpers a PyTorch user reaches for (torch.utils.data): TensorDataset, random_split, a
// DataLoader, and a reader of numeric CSV columns. Batches are gathered rows, freed when the next
// one is taken or the loop ends, as batches() does.
import { type DType, gather, IndexError, ShapeError, Tensor, tensor, ValueError } from '@gd/tensor';
import { epochBatches, epochOrder, permutation } from './batches.js';

/**
 * Tensors whose first axis indexes the same samples (`torch.utils.data.TensorDataset`): sample i
 * is row i of each. A subset (from `subset()` or `randomSplit()`) shares the tensors and lists
 * the rows it holds; it copies nothing. The dataset does not own its tensors: dispose them
 * yourself when done.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(x, y); // x [N, …], y [N]
 * ds.length;                          // N
 * const [xi, yi] = ds.at(0);          // row 0 of each (new tensors)
 * ```
 */
export class TensorDataset {
  /** The tensors, whole (a subset reads only its rows). */
  readonly tensors: readonly Tensor[];
  private rows: Int32Array | null = null;

  /** A dataset of `tensors`, which must agree on their first axis. */
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ValueError('TensorDataset: expected at least one tensor');
    tensors.forEach((t: unknown, i) => {
      if (!(t instanceof Tensor))
        throw new ValueError(`TensorDataset: argument ${i} is ${t === null ? 'null' : typeof t}; expected a Tensor`);
      if (t.rank === 0) throw new ShapeError(`TensorDataset: tensor ${i} is a scalar; tensors need a sample axis (rank ≥ 1)`);
    });
    const n = tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new ShapeError(
          `TensorDataset: tensor ${i} has ${t.shape[0]} samples (shape [${t.shape.join(',')}]); tensor 0 has ${n}: they must agree`,
        );
      }
    });
    this.tensors = tensors;
  }

  /** The rows of `tensors` this dataset holds, in order; null for all of them. */
  get indices(): Int32Array | null {
    return this.rows;
  }

  /** Samples in the dataset. */
  get length(): number {
    return this.rows ? this.rows.length : this.tensors[0]!.shape[0]!;
  }

  /** Row `i` of every tensor (negative counts from the end), as new tensors without the sample axis. */
  at(i: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new IndexError(`TensorDataset.at: index ${i} is out of range for ${n} samples`);
    const row = this.rowOf(i < 0 ? i + n : i);
    const idx = tensor(row, { dtype: 'int32' });
    try {
      return this.tensors.map((t) => gather(t, idx, 0));
    } finally {
      idx.dispose();
    }
  }

  /** A dataset of the given samples of this one (positions in this dataset), sharing its tensors. */
  subset(positions: ArrayLike<number>): TensorDataset {
    const n = this.length;
    const rows = new Int32Array(positions.length);
    for (let k = 0; k < positions.length; k++) {
      const p = positions[k]!;
      if (!Number.isInteger(p) || p < 0 || p >= n)
        throw new IndexError(`TensorDataset.subset: position ${p} is out of range for ${n} samples`);
      rows[k] = this.rowOf(p);
    }
    const sub = new TensorDataset(...this.tensors);
    sub.rows = rows;
    return sub;
  }

  /** @internal the row of `tensors` that sample `i` is */
  rowOf(i: number): number {
    return this.rows ? this.rows[i]! : i;
  }
}

/** Options of randomSplit(). */
export interface RandomSplitOptions {
  /** Seed of the permutation; the same seed gives the same split. Default 0. */
  seed?: number;
}

/**
 * Splits a dataset into disjoint random subsets (`torch.utils.data.random_split`), by sizes that
 * sum to its length or by fractions that sum to 1 (sizes floored, the samples left over dealt one
 * each to the first subsets, as PyTorch does). Seeded; the subsets share the dataset's tensors.
 *
 * @example
 * ```ts
 * const [train, test] = randomSplit(ds, [0.8, 0.2], { seed: 1 });
 * ```
 */
export function randomSplit(dataset: TensorDataset, lengths: readonly number[], options: RandomSplitOptions = {}): TensorDataset[] {
  if (!(dataset instanceof TensorDataset))
    throw new ValueError(`randomSplit: expected a TensorDataset, got ${dataset === null ? 'null' : typeof dataset}`);
  if (!Array.isArray(lengths) || lengths.length === 0)
    throw new ValueError('randomSplit: lengths must be a non-empty array of sizes or fractions');
  if (options === null || typeof options !== 'object')
    throw new ValueError(`randomSplit: options must be an object, got ${String(options)}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValueError(`randomSplit: seed must be an integer, got ${String(seed)}`);
  const n = dataset.length;
  for (const l of lengths) {
    if (typeof l !== 'number' || !(l >= 0) || !Number.isFinite(l))
      throw new ValueError(`randomSplit: lengths must be finite numbers ≥ 0, got [${lengths.join(', ')}]`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  let sizes: number[];
  if (lengths.every(Number.isInteger) && total === n) sizes = [...lengths];
  else if (lengths.every((l) => l <= 1) && Math.abs(total - 1) < 1e-9) {
    sizes = lengths.map((f) => Math.floor(f * n));
    let left = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; left > 0; i = (i + 1) % sizes.length, left--) sizes[i]!++;
  } else {
    throw new ValueError(
      `randomSplit: lengths [${lengths.join(', ')}] neither sum to the dataset's ${n} samples nor are fractions summing to 1`,
    );
  }
  const order = permutation(n, seed >>> 0);
  const out: TensorDataset[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(dataset.subset(order.subarray(at, at + s)));
    at += s;
  }
  return out;
}

/** Options of DataLoader. */
export interface DataLoaderOptions {
  /** Samples per batch. Default 1, as PyTorch's. */
  batchSize?: number;
  /** Reshuffle every epoch. Default false, as PyTorch's. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Seed of the shuffling; epoch e's order is fixed by (seed, e). Default 0. */
  seed?: number;
}

/**
 * Batches of a TensorDataset (`torch.utils.data.DataLoader`): each batch is an array with the
 * gathered rows of every tensor. Iterating it runs one epoch, reshuffled each time when `shuffle`
 * is set (seeded). A batch is freed when the next one is taken or the loop ends (also by `break`
 * or a throw); `clone()` or `keep()` a tensor to hold it longer. `minimize` takes a DataLoader as
 * its `data`.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 1 });
 * for (const [xb, yb] of loader) { … }
 * ```
 */
export class DataLoader implements Iterable<Tensor[]> {
  /** The samples it batches. */
  readonly dataset: TensorDataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch takes a new order. */
  readonly shuffle: boolean;
  /** Whether a last batch smaller than batchSize is dropped. */
  readonly dropLast: boolean;
  /** Seed of the shuffling. */
  readonly seed: number;
  private epochs = 0;

  /** A loader over `dataset`; see DataLoaderOptions for the defaults. */
  constructor(dataset: TensorDataset, options: DataLoaderOptions = {}) {
    if (!(dataset instanceof TensorDataset))
      throw new ValueError(`DataLoader: expected a TensorDataset, got ${dataset === null ? 'null' : typeof dataset}`);
    if (options === null || typeof options !== 'object')
      throw new ValueError(`DataLoader: options must be an object, got ${String(options)}`);
    const size = options.batchSize ?? 1;
    if (!Number.isInteger(size) || size < 1) throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${String(size)}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new ValueError(`DataLoader: seed must be an integer, got ${String(seed)}`);
    this.dataset = dataset;
    this.batchSize = size;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.seed = seed;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batches of epoch e (0-based), in that epoch's order. */
  epoch(e: number): Iterable<Tensor[]> {
    if (!Number.isInteger(e) || e < 0) throw new ValueError(`DataLoader.epoch: e must be a non-negative integer, got ${String(e)}`);
    const { dataset, batchSize, length } = this;
    const order = epochOrder(dataset.length, this.shuffle, this.seed, e);
    return { [Symbol.iterator]: () => epochBatches(dataset.tensors, order, batchSize, length, (p) => dataset.rowOf(p)) };
  }

  /** One epoch: the first iteration is epoch 0, the next epoch 1, … */
  [Symbol.iterator](): Iterator<Tensor[]> {
    return this.epoch(this.epochs++)[Symbol.iterator]();
  }
}

/** Options of readCsv(). */
export interface ReadCsvOptions {
  /** The first line names the columns. Default false. */
  header?: boolean;
  /** The columns to read, in this order: indices (from 0), or names when there is a header. Default all. */
  columns?: ReadonlyArray<number | string>;
  /** Cell separator. Default ','. */
  delimiter?: string;
  /** Element type of the result. Default float32. */
  dtype?: DType;
}

const SPECIAL: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/**
 * Reads numeric columns of CSV text into a [rows, columns] tensor. Blank lines are skipped,
 * quotes around a cell are removed, `nan` and `inf` are read as such; any other cell that is not
 * a number is a ValueError naming its line and column (both counted from 1, as an editor shows
 * them). Without a header, columns are chosen by index (from 0).
 *
 * @example
 * ```ts
 * const t = readCsv('x,y\n1,2\n3,4\n', { header: true, columns: ['y'] });
 * t.toArray(); // [[2], [4]]
 * ```
 */
export function readCsv(text: string, options: ReadCsvOptions = {}): Tensor {
  if (typeof text !== 'string')
    throw new ValueError(`readCsv: expected the CSV text as a string, got ${text === null ? 'null' : typeof text}`);
  if (options === null || typeof options !== 'object') throw new ValueError(`readCsv: options must be an object, got ${String(options)}`);
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"') {
    throw new ValueError(`readCsv: delimiter must be one character other than '"', got ${JSON.stringify(delimiter)}`);
  }
  const lines = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, cells: l.split(delimiter).map(unquote) }));
  const rows = lines.filter((l) => l.cells.length > 1 || l.cells[0]!.trim() !== '');
  let names: string[] | null = null;
  if (options.header) {
    const head = rows.shift();
    if (!head) throw new ValueError('readCsv: header: true, but the text has no lines');
    names = head.cells.map((c) => c.trim());
  }
  const width = names ? names.length : (rows[0]?.cells.length ?? 0);
  const picks = (options.columns ?? Array.from({ length: width }, (_, i) => i)).map((c) => {
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0 || c >= width) throw new IndexError(`readCsv: column ${c} is out of range for ${width} columns`);
      return c;
    }
    if (!names) throw new ValueError(`readCsv: column '${c}' is a name, but there is no header (pass header: true or a column index)`);
    const at = names.indexOf(c);
    if (at < 0) throw new ValueError(`readCsv: no column named '${c}'; the header has ${names.map((n) => `'${n}'`).join(', ')}`);
    return at;
  });
  const values = new Float64Array(rows.length * picks.length);
  rows.forEach(({ line, cells }, r) => {
    if (cells.length !== width) throw new ShapeError(`readCsv: line ${line} has ${cells.length} cells; expected ${width}`);
    picks.forEach((c, k) => {
      const raw = cells[c]!.trim();
      const special = SPECIAL[raw.toLowerCase()];
      const v = special ?? (raw === '' ? Number.NaN : Number(raw));
      if (special === undefined && (raw === '' || Number.isNaN(v))) {
        const name = names ? ` ('${names[c]}')` : '';
        throw new ValueError(`readCsv: line ${line}, column ${c + 1}${name}: ${raw === '' ? 'an empty cell' : `'${raw}'`} is not a number`);
      }
      values[r * picks.length + k] = v;
    });
  });
  const dtype = options.dtype ?? 'float32';
  if (dtype === 'int32') {
    values.forEach((v, i) => {
      if (!Number.isInteger(v)) {
        const { line } = rows[Math.floor(i / picks.length)]!;
        throw new ValueError(`readCsv: line ${line}, column ${picks[i % picks.length]! + 1}: ${v} is not an integer (dtype int32)`);
      }
    });
  }
  return tensor(values, { dtype, shape: [rows.length, picks.length] });
}

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replaceAll('""', '"') : cell;
}
