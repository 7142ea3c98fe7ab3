// torch.utils.data's helpers: TensorDataset, randomSplit, DataLoader, and readCsv for numeric columns.
import { variable } from '@gd/autograd';
import { DTypeError, IndexError, keep, memory, ShapeError, type Tensor, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { DataLoader, minimize, randomSplit, readCsv, TensorDataset } from '../src/index.js';

const N = 10;
const X = keep(tensor(Array.from({ length: N }, (_, i) => [i, 10 * i])));
const Y = keep(
  tensor(
    Array.from({ length: N }, (_, i) => i),
    { dtype: 'int32' },
  ),
);

/** The sample ids (the y values) of each batch of an epoch. */
const ids = (batches: Iterable<readonly { data(): ArrayLike<number> }[]>): number[][] =>
  Array.from(batches, (b) => Array.from(b[1]!.data()));

describe('TensorDataset', () => {
  it('holds samples by their first axis; at(i) gives row i of each tensor', () => {
    const ds = new TensorDataset(X, Y);
    expect(ds.length).toBe(N);
    const [x3, y3] = ds.at(3);
    expect(x3!.toArray()).toEqual([3, 30]);
    expect(y3!.item()).toBe(3);
    const [xl] = ds.at(-1);
    expect(xl!.toArray()).toEqual([9, 90]);
    for (const t of [x3!, y3!, xl!]) t.dispose();
    expect(() => new TensorDataset(X, tensor([1, 2]))).toThrow(ShapeError);
    expect(() => new TensorDataset(X, tensor([1, 2]))).toThrow(
      'TensorDataset: tensor 1 has 2 samples (shape [2]); tensor 0 has 10: they must agree',
    );
    expect(() => ds.at(10)).toThrow(IndexError);
    expect(() => new TensorDataset()).toThrow(ValueError);
  });
});

describe('randomSplit', () => {
  it('splits by sizes or fractions into disjoint subsets covering every sample, the same for the same seed', () => {
    const ds = new TensorDataset(X, Y);
    const [a, b] = randomSplit(ds, [7, 3], { seed: 4 });
    expect([a!.length, b!.length]).toEqual([7, 3]);
    const rows = [...a!.indices!, ...b!.indices!];
    expect([...rows].sort((p, q) => p - q)).toEqual(Array.from({ length: N }, (_, i) => i));
    const [a2] = randomSplit(ds, [7, 3], { seed: 4 });
    expect([...a2!.indices!]).toEqual([...a!.indices!]);
    const [a3] = randomSplit(ds, [7, 3], { seed: 5 });
    expect([...a3!.indices!]).not.toEqual([...a!.indices!]);
    // PyTorch's rule: floor each fraction, deal the rest one by one from the first subset
    expect(randomSplit(ds, [0.8, 0.2]).map((d) => d.length)).toEqual([8, 2]);
    expect(randomSplit(ds, [0.33, 0.33, 0.34]).map((d) => d.length)).toEqual([4, 3, 3]);
    // a subset reads its own rows: sample i of b is row b.indices[i]
    const [xb, yb] = b!.at(1);
    expect(yb!.item()).toBe(b!.indices![1]);
    expect(xb!.toArray()).toEqual([b!.indices![1], 10 * b!.indices![1]!]);
    xb!.dispose();
    yb!.dispose();
    // splitting a subset again maps through to the original rows
    const [c] = randomSplit(a!, [1, 6]);
    expect(a!.indices!).toContain(c!.indices![0]);
    expect(() => randomSplit(ds, [5, 4])).toThrow(
      "randomSplit: lengths [5, 4] neither sum to the dataset's 10 samples nor are fractions summing to 1",
    );
    expect(() => randomSplit(ds, [0.5, -0.5, 1])).toThrow(ValueError);
  });
});

describe('DataLoader', () => {
  it('batches in order by default (batchSize 1, no shuffle), with dropLast and batchSize', () => {
    const ds = new TensorDataset(X, Y);
    expect(new DataLoader(ds).length).toBe(N);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(ids(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(ids(new DataLoader(ds, { batchSize: 4, dropLast: true }))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('shuffles every epoch, seeded: every sample once per epoch, epochs differ, reruns repeat', () => {
    const ds = new TensorDataset(X, Y);
    const make = () => new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 7 });
    const loader = make();
    const e0 = ids(loader).flat();
    const e1 = ids(loader).flat();
    expect([...e0].sort((p, q) => p - q)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(e1).not.toEqual(e0);
    expect(ids(make()).flat()).toEqual(e0);
    expect(ids(make().epoch(1)).flat()).toEqual(e1);
  });

  it('frees each batch when the next is taken and the last when the loop ends or breaks', () => {
    const ds = new TensorDataset(X, Y);
    const before = memory();
    for (const [xb] of new DataLoader(ds, { batchSize: 4, shuffle: true }))
      expect(memory().tensors).toBe(before.tensors + 2 + 0 * xb!.size);
    for (const _ of new DataLoader(ds, { batchSize: 2 })) break;
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });

  it('reads a subset through its rows, and feeds minimize', () => {
    const [train] = randomSplit(new TensorDataset(X, Y), [6, 4], { seed: 2 });
    const seen = ids(new DataLoader(train!, { batchSize: 6 }))[0]!;
    expect(seen).toEqual([...train!.indices!]);
    // fit y = 3x + 1 by minibatch SGD over a loader
    const xs = keep(tensor(Array.from({ length: 20 }, (_, i) => [i / 10])));
    const ys = keep(tensor(Array.from({ length: 20 }, (_, i) => [3 * (i / 10) + 1])));
    const w = variable([[0]]);
    const b = variable([0]);
    const r = minimize(([x, y]: readonly Tensor[]) => w.matmul(x!.T).T.add(b).sub(y!).square().mean(), [w, b], {
      data: new DataLoader(new TensorDataset(xs, ys), { batchSize: 5, shuffle: true, seed: 3 }),
      epochs: 200,
      lr: 0.1,
    });
    expect(r.reason).toBe('epochs');
    expect(Math.abs(w.item() - 3)).toBeLessThan(1e-2);
    expect(Math.abs(b.item() - 1)).toBeLessThan(1e-2);
  });
});

describe('readCsv', () => {
  it('reads numeric columns by name or index, skipping blank lines, with quotes, nan and inf', () => {
    const text = 'a,b,c\r\n1,2,3\n"4", 5.5 ,-6e1\n\nnan,inf,-inf\n';
    expect(readCsv(text, { header: true }).toArray()).toEqual([
      [1, 2, 3],
      [4, 5.5, -60],
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    ]);
    expect(readCsv(text, { header: true, columns: ['c', 'a'], dtype: 'float64' }).toArray()).toEqual([
      [3, 1],
      [-60, 4],
      [Number.NEGATIVE_INFINITY, Number.NaN],
    ]);
    const t = readCsv('1;2\n3;4', { columns: [1], delimiter: ';', dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(t.toArray()).toEqual([[2], [4]]);
  });

  it('names the line and column of a bad cell', () => {
    const text = 'x,y\n1,2\n3,abc\n';
    expect(() => readCsv(text, { header: true })).toThrow(ValueError);
    expect(() => readCsv(text, { header: true })).toThrow("readCsv: line 3, column 2 ('y'): 'abc' is not a number");
    expect(() => readCsv('1,2\n3,\n')).toThrow('readCsv: line 2, column 2: an empty cell is not a number');
    expect(() => readCsv('1,2\n3\n')).toThrow('readCsv: line 2 has 1 cells; expected 2');
    expect(() => readCsv(text, { header: true, columns: ['z'] })).toThrow("readCsv: no column named 'z'; the header has 'x', 'y'");
    expect(() => readCsv(text, { columns: ['x'] })).toThrow(/is a name, but there is no header/);
    expect(() => readCsv('1.5\n', { dtype: 'int32' })).toThrow('readCsv: line 1, column 1: 1.5 is not an integer (dtype int32)');
    expect(() => readCsv('1\n', { dtype: 'int8' as never })).toThrow(DTypeError);
  });
});
