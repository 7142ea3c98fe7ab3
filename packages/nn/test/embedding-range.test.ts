// An Embedding index out of range names Embedding and the vocabulary size, not the gather inside.
import { IndexError, memory, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Embedding } from '../src/index.js';

describe('Embedding index out of range', () => {
  it('is an IndexError naming Embedding, the index, its position and the vocabulary size', () => {
    const emb = new Embedding(10, 4);
    const ids = tensor(
      [
        [1, 2],
        [12, 3],
      ],
      { dtype: 'int32' },
    );
    const before = memory().tensors;
    let err: unknown;
    try {
      emb.forward(ids);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IndexError);
    expect((err as Error).message).toBe(
      'Embedding: index 12 at flat position 2 of indices [2,2] is out of range for a vocabulary of 10 (numEmbeddings); expected 0 ≤ index < 10',
    );
    expect(memory().tensors).toBe(before);
    expect(() => emb.forward([0, -1])).toThrow(/Embedding: index -1 at flat position 1 .* vocabulary of 10/);
    // in range: the rows of the weight
    const out = emb.forward(tensor([9, 0], { dtype: 'int32' }));
    expect(Array.from(out.value.data())).toEqual([
      ...Array.from(emb.weight.value.data()).slice(36, 40),
      ...Array.from(emb.weight.value.data()).slice(0, 4),
    ]);
    ids.dispose();
  });
});
