// cloneStateDict: copies that later optimizer steps do not touch, loadable back (early stopping).
import { manualSeed, memory, randn, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, cloneStateDict, Linear, Sequential } from '../src/index.js';

describe('cloneStateDict', () => {
  it('copies every parameter and buffer; training on does not change the copy; loading it restores the model', () => {
    manualSeed(3);
    const model = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
    const x = randn([8, 3]);
    const before = memory().tensors;
    // made inside a step's scope, it survives the scope
    const best = scope(() => cloneStateDict(model));
    const names = Object.keys(model.stateDict());
    expect(Object.keys(best)).toEqual(names);
    expect(memory().tensors).toBe(before + names.length);
    const snapshot = Object.fromEntries(names.map((k) => [k, Array.from(best[k]!.data())]));
    // "training": the live weights change in place, and BatchNorm's running stats with a forward
    scope(() => {
      model.loadStateDict({
        ...model.stateDict(),
        '0.weight': tensor([
          [5, 5, 5],
          [5, 5, 5],
        ]),
      });
      model.train();
      model.forward(x);
    });
    expect(Array.from(model.stateDict()['0.weight']!.data())).toEqual([5, 5, 5, 5, 5, 5]);
    for (const k of names) expect(Array.from(best[k]!.data())).toEqual(snapshot[k]);
    model.loadStateDict(best);
    for (const k of names) expect(Array.from(model.stateDict()[k]!.data())).toEqual(snapshot[k]);
    for (const t of Object.values(best)) t.dispose();
    expect(memory().tensors).toBe(before);
    x.dispose();
  });

  it('clones a tensor listed under two names once, keeping the tie; rejects what is not a state', () => {
    const t = tensor([1, 2]);
    const c = cloneStateDict({ a: t, b: t });
    expect(c.a).toBe(c.b);
    expect(c.a).not.toBe(t);
    expect(c.a!.toArray()).toEqual([1, 2]);
    c.a!.dispose();
    t.dispose();
    expect(() => cloneStateDict({ a: 3 } as never)).toThrow("cloneStateDict: 'a' is number; expected a Tensor");
    expect(() => cloneStateDict(null as never)).toThrow(ValueError);
  });
});
