import { DisposedError, DTypeError, GdError, manualSeed, memory, ShapeError, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { init, Linear, type Module, mlp, Sequential, saveSafetensors } from '../src/index.js';

const fails = failsWith(memory, GdError);
const values = (m: Module) => m.parameters().map((p) => Array.from(p.value.data()));

/** A model of four parameters and a state for it built from `replaceLast` in the last slot. */
function setup(replaceLast: () => unknown) {
  manualSeed(1);
  const model = new Sequential(new Linear(2, 2), new Linear(2, 1));
  const before = values(model);
  const names = model.namedParameters().map(([k]) => k);
  const state: Record<string, unknown> = {};
  for (const [k, p] of model.namedParameters()) state[k] = zeros(p.shape as number[]);
  state[names[names.length - 1]!] = replaceLast();
  return { model, before, state };
}

describe('Module.loadStateDict validates everything before writing anything', () => {
  const disposed = () => {
    const t = zeros([1]);
    t.dispose();
    return t;
  };
  const cases: Array<[string, () => unknown, new (...a: never[]) => GdError]> = [
    ['a disposed tensor', disposed, DisposedError],
    ['a number', () => 3, ValueError],
    ['null', () => null, ValueError],
    ['a plain array', () => [0], ValueError],
    ['a wrong shape', () => zeros([2]), ShapeError],
    ['a wrong dtype', () => tensor([0], { dtype: 'int32' }), DTypeError],
  ];
  for (const [label, make, type] of cases) {
    it(`refuses ${label} in the last entry and leaves every parameter unchanged`, () => {
      const { model, before, state } = setup(make);
      expect(() => model.loadStateDict(state as Record<string, Tensor>)).toThrow(type);
      expect(values(model)).toEqual(before);
    });
  }
  for (const bad of [null, undefined, 5, 'x', [zeros([1])]]) {
    it(`refuses a state of ${Array.isArray(bad) ? 'an array' : String(bad)} with a ValueError`, () => {
      const { model, before } = setup(() => zeros([1]));
      expect(() => model.loadStateDict(bad as never)).toThrow(ValueError);
      expect(values(model)).toEqual(before);
    });
  }
  it('a missing or unexpected name is named in the error', () => {
    const { model, state } = setup(() => zeros([1]));
    state.extra = zeros([1]);
    expect(() => model.loadStateDict(state as Record<string, Tensor>)).toThrow(/unexpected \[extra\]/);
  });
  it('a valid state is copied in, allocating nothing that stays', () => {
    const { model, state } = setup(() => tensor([0.5]));
    const n = memory().tensors;
    model.loadStateDict(state as Record<string, Tensor>);
    expect(memory().tensors).toBe(n);
    expect(values(model).at(-1)).toEqual([0.5]);
  });
});

describe('tied weights', () => {
  it('a parameter shared by two layers is listed once, under its first name', () => {
    const a = new Linear(2, 2);
    const b = new Linear(2, 2);
    (b as unknown as { weight: unknown }).weight = a.weight;
    const model = new Sequential(a, b);
    expect(model.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.bias']);
    expect(new Set(model.parameters()).size).toBe(3);
  });
});

describe('nn entry points refuse wrong types with a GdError', () => {
  // operands made once, outside the refused calls, so each call is checked to allocate nothing
  const w = zeros([2, 2]);
  const layer = new Linear(1, 1);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['Linear with null options', () => new Linear(2, 2, null as never), /Linear: options/],
    ['mlp of a non-array', () => mlp('x' as never), /mlp: sizes must be an array/],
    ['mlp with null options', () => mlp([2, 1], null as never), /mlp: options/],
    ['init of a number', () => init.zeros(3 as never), /init: expected a Variable or a Tensor/],
    ['init.xavierUniform of an object', () => init.xavierUniform({} as never), /init: expected a Variable or a Tensor/],
    [
      'Kaiming with null options',
      () => init.kaimingUniform(w, null as never),
      /^init\.kaimingUniform: options must be an object, got null$/,
    ],
    ['saveSafetensors of null', () => saveSafetensors(null as never), /saveSafetensors: expected a Module/],
    ['saveSafetensors with null options', () => saveSafetensors(layer, null as never), /saveSafetensors: options/],
    ['saveSafetensors of a record holding a number', () => saveSafetensors({ a: 1 } as never), /'a' is number/],
  ];
  for (const [label, run, message] of cases) {
    it(label, () => {
      fails(run, GdError, message);
    });
  }
});
