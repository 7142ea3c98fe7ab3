// batches() in a plain for…of loop: each batch is freed when the next is taken, and the last one
// when the loop ends, breaks or throws.
import { keep, memory, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { batches } from '../src/index.js';

const X = keep(tensor(Array.from({ length: 20 }, (_, i) => [i, -i])));
const Y = keep(
  tensor(
    Array.from({ length: 20 }, (_, i) => i % 3),
    { dtype: 'int32' },
  ),
);

describe('batches frees its batches', () => {
  it('holds one batch at a time in a for…of loop, and none after it', () => {
    const before = memory();
    const seen: number[] = [];
    let previous: ReturnType<typeof tensor>[] = [];
    for (const [x, y] of batches([X, Y], { batchSize: 6, seed: 2 })) {
      // the batch before this one is gone; this one is alive
      for (const t of previous) expect(t.isDisposed).toBe(true);
      expect(memory().tensors).toBe(before.tensors + 2);
      seen.push(...(y!.data() as Int32Array));
      expect(x!.shape[1]).toBe(2);
      previous = [x!, y!];
    }
    for (const t of previous) expect(t.isDisposed).toBe(true);
    expect(seen.length).toBe(20);
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });

  it('frees the batch at hand when the loop breaks or throws; a record dataset too', () => {
    const before = memory();
    for (const b of batches({ x: X, y: Y }, { batchSize: 4 })) {
      expect(b.x.shape).toEqual([4, 2]);
      break;
    }
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    expect(() => {
      for (const [x] of batches([X], { batchSize: 4 }).epoch(3)) if (x!.shape[0] === 4) throw new Error('stop');
    }).toThrow('stop');
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });

  it('leaves a kept tensor of a batch alone', () => {
    const before = memory().tensors;
    let held: ReturnType<typeof tensor> | undefined;
    for (const [x] of batches([X], { batchSize: 8, shuffle: false })) held ??= keep(x!);
    expect(held!.isDisposed).toBe(false);
    expect(Array.from(held!.data())).toEqual([0, -0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7]);
    expect(memory().tensors).toBe(before + 1);
    held!.dispose();
  });
});
