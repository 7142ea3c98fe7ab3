import type { Variable } from '@gd/autograd';
import { DisposedError, GdError, manualSeed, memory, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { Linear, loadSafetensors, type Module, ReLU, SafetensorsError, Sequential, saveSafetensors } from '../src/index.js';

const fails = failsWith(memory, GdError);
const values = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));

/** Linear → ReLU → Linear with the last layer's weight tied to the first's (both 3×3). */
function tied(seed: number): { model: Sequential; first: Linear; last: Linear } {
  manualSeed(seed);
  const first = new Linear(3, 3);
  const last = new Linear(3, 3);
  last.weight.value.dispose();
  (last as unknown as { weight: Variable }).weight = first.weight;
  return { model: new Sequential(first, new ReLU(), last), first, last };
}

describe('tied weights: listed under every name, loaded from any, kept one tensor', () => {
  it('stateDict lists each name of a tied parameter, all the same tensor, as PyTorch does', () => {
    const { model, first } = tied(1);
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(sd['2.weight']).toBe(first.weight.value);
    // namedParameters still lists it once, so an optimizer updates it once
    expect(model.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '2.bias']);
  });

  it("a tied model loads its own stateDict and another's, and the tie holds", () => {
    const a = tied(1);
    const b = tied(2);
    const want = values(a.model);
    expect(b.model.loadStateDict(a.model.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.model)).toEqual(want);
    expect(b.last.weight).toBe(b.first.weight);
    expect(b.model.loadStateDict(b.model.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.model)).toEqual(want);
  });

  it('a state giving the tied parameter under one name only loads (as a file saved with shared tensors removed)', () => {
    const a = tied(1);
    const b = tied(2);
    const { '2.weight': _, ...one } = a.model.stateDict();
    expect(b.model.loadStateDict(one)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.model)).toEqual(values(a.model));
  });

  it('two names of one tied parameter with different values are refused, the model unchanged', () => {
    const a = tied(1);
    const b = tied(2);
    const before = values(b.model);
    const state = { ...a.model.stateDict(), '2.weight': zeros([3, 3]) };
    fails(
      () => b.model.loadStateDict(state),
      ValueError,
      /'0\.weight' and '2\.weight' name one tied parameter, but the state gives them different values/,
    );
    expect(values(b.model)).toEqual(before);
    state['2.weight']!.dispose();
  });

  it('a saved tied model loads back from its own file; so does a file holding one name of the tie', () => {
    const a = tied(1);
    const b = tied(2);
    const bytes = saveSafetensors(a.model);
    loadSafetensors(b.model, bytes);
    expect(values(b.model)).toEqual(values(a.model));
    expect(b.last.weight).toBe(b.first.weight);
    const { '2.weight': _, ...one } = a.model.stateDict();
    const c = tied(3);
    loadSafetensors(c.model, saveSafetensors(one));
    expect(values(c.model)).toEqual(values(a.model));
    // a file giving the tie two different values is refused
    const d = tied(4);
    const other = { ...one, '2.weight': zeros([3, 3]) };
    expect(() => loadSafetensors(d.model, saveSafetensors(other))).toThrow(/name one tied parameter/);
    other['2.weight']!.dispose();
    // and a name the model lacks is still named
    const extra = { ...one, '9.weight': zeros([1]) };
    expect(() => loadSafetensors(d.model, saveSafetensors(extra))).toThrow(SafetensorsError);
    expect(() => loadSafetensors(d.model, saveSafetensors(extra))).toThrow(/^loadSafetensors: unexpected \[9\.weight\]$/);
    extra['9.weight']!.dispose();
  });

  it("to('float64') converts a tied parameter once and keeps the tie, freeing the float32 values", () => {
    const { model, first, last } = tied(1);
    const before = values(model);
    const start = memory();
    model.to('float64');
    expect(last.weight).toBe(first.weight);
    expect(first.weight.dtype).toBe('float64');
    expect(model.dtype).toBe('float64');
    // float32 → float64 is exact
    expect(values(model)).toEqual(before);
    // three parameters of 9 + 3 + 3 numbers, now 8 bytes each: the same count of tensors
    expect(memory().tensors).toBe(start.tensors);
    model.to('float32');
    expect(values(model)).toEqual(before);
    expect(last.weight).toBe(first.weight);
  });

  it('to() is all or nothing: a disposed parameter anywhere leaves every layer as it was, nothing allocated', () => {
    const { model, first, last } = tied(1);
    const extra = new Linear(3, 3);
    const whole = new Sequential(model, extra);
    extra.bias!.value.dispose();
    const params = whole.parameters();
    const start = memory();
    fails(() => whole.to('float64'), DisposedError, /disposed/);
    expect(memory().tensors).toBe(start.tensors);
    expect(whole.parameters()).toEqual(params);
    expect(last.weight).toBe(first.weight);
    for (const p of params.slice(0, -1)) {
      expect(p.dtype).toBe('float32');
      expect(p.value.isDisposed).toBe(false);
    }
  });
});

describe('loadStateDict(state, { strict: false }) reports missingKeys and unexpectedKeys, as PyTorch does', () => {
  const model = () => {
    manualSeed(5);
    return new Sequential(new Linear(2, 2), new Linear(2, 1));
  };
  it('loads the names that match, leaves the rest, and names both kinds', () => {
    const m = model();
    const before = values(m);
    const state: Record<string, Tensor> = {
      '0.weight': tensor([
        [1, 2],
        [3, 4],
      ]),
      '1.bias': tensor([7]),
      'head.weight': zeros([2]),
    };
    expect(m.loadStateDict(state, { strict: false })).toEqual({ missingKeys: ['0.bias', '1.weight'], unexpectedKeys: ['head.weight'] });
    expect(values(m)).toEqual({ ...before, '0.weight': [1, 2, 3, 4], '1.bias': [7] });
    // what does match is still checked: a wrong shape is refused, the model unchanged
    const bad = { '1.bias': zeros([2]), extra: zeros([1]) };
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow(/'1\.bias' has shape \[2\]; the parameter has \[1\]/);
    expect(values(m)).toEqual({ ...before, '0.weight': [1, 2, 3, 4], '1.bias': [7] });
  });
  it('strict (the default) names only the kind that is wrong', () => {
    const m = model();
    const state = { ...m.stateDict(), extra: zeros([1]) };
    const e = fails(() => m.loadStateDict(state), ValueError, /^loadStateDict: unexpected \[extra\] \(pass \{ strict: false \}/);
    expect((e as Error).message).not.toMatch(/missing/);
    const { '0.bias': _, ...short } = m.stateDict();
    const e2 = fails(() => m.loadStateDict(short), ValueError, /^loadStateDict: missing \[0\.bias\] \(pass/);
    expect((e2 as Error).message).not.toMatch(/unexpected/);
    expect(m.loadStateDict(m.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });
  it('refuses a strict that is not a boolean, and options that are not an object', () => {
    const m = model();
    fails(() => m.loadStateDict(m.stateDict(), { strict: 'no' as never }), ValueError, /strict must be true or false, got no/);
    fails(() => m.loadStateDict(m.stateDict(), null as never), ValueError, /options must be an object/);
  });
});
