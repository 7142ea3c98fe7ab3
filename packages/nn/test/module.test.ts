import { asVariable, type Variable, type VariableLike } from '@gd/autograd';
import { GdError, IndexError, manualSeed, memory, randn, ShapeError, StateError, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { Linear, Module, ModuleDict, ModuleList, parameter, ReLU, Sequential, saveSafetensors } from '../src/index.js';

const fails = failsWith(memory, GdError);

/** A module of two inputs and two outputs: (a·W + b, a − b). */
class Pair extends Module<[VariableLike, VariableLike], [Variable, Variable]> {
  w = parameter(tensor([[2]]), 'w');
  forward(a: VariableLike, b: VariableLike): [Variable, Variable] {
    return [asVariable(a).matmul(this.w).add(b), asVariable(a).sub(b)];
  }
}

class Stack extends Module {
  blocks = new ModuleList([new Linear(2, 2), new Linear(2, 3)]);
  heads = new ModuleDict({ cls: new Linear(3, 1), box: new Linear(3, 2, { bias: false }) });
  forward(x: VariableLike): Variable {
    let h = asVariable(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.heads.get('cls')!.forward(h);
  }
}

describe('the module contract', () => {
  it('takes several inputs and returns several outputs, typed', () => {
    const m = new Pair();
    const [y, d] = m.forward(tensor([[3]]), tensor([[1]]));
    expect(y.toArray()).toEqual([[7]]);
    expect(d.toArray()).toEqual([[2]]);
    expect(m.namedParameters().map(([k]) => k)).toEqual(['w']);
    // the signature is checked: tsc (the typecheck of this package) fails if these lines compile
    // @ts-expect-error — Pair.forward takes two inputs
    expect(() => m.forward(tensor([[3]]))).toThrow();
    // @ts-expect-error — and returns a pair, not a Variable
    const single: Variable = m.forward(tensor([[3]]), tensor([[1]]));
    expect(Array.isArray(single)).toBe(true);
  });

  it('ModuleList and ModuleDict are walked with PyTorch’s keys, and load back', () => {
    manualSeed(0);
    const m = new Stack();
    expect(Object.keys(m.stateDict())).toEqual([
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
      'heads.cls.weight',
      'heads.cls.bias',
      'heads.box.weight',
    ]);
    expect(m.parameters().length).toBe(7);
    const copy = new Stack();
    copy.loadStateDict(m.stateDict());
    scope(() => {
      const x = randn([4, 2]);
      expect(Array.from(copy.forward(x).value.data())).toEqual(Array.from(m.forward(x).value.data()));
    });
    expect(saveSafetensors(copy)).toEqual(saveSafetensors(m));
    m.eval();
    expect(m.blocks.at(-1).training).toBe(false);
    expect(m.heads.get('box')!.training).toBe(false);
  });

  it('ModuleList: at, append, insert, length; ModuleDict: keys, set, delete', () => {
    const a = new Linear(1, 1);
    const b = new Linear(1, 1);
    const c = new ReLU();
    const list = new ModuleList<Module>([a]).append(c).insert(1, b);
    expect([...list]).toEqual([a, b, c]);
    expect(list.length).toBe(3);
    expect(list.at(-3)).toBe(a);
    fails(() => list.at(3), IndexError, /ModuleList\.at: index 3 is out of range for a list of 3 modules/);
    fails(() => list.insert(5, a), IndexError, /out of range 0\.\.3/);
    fails(() => list.append(3 as never), ValueError, /not a Module, got number/);
    fails(() => new ModuleList([a, {} as never]), ValueError, /item 1 is not a Module/);
    fails(() => list.forward(), StateError, /ModuleList has no forward/);
    const dict = new ModuleDict<Module>([['x', a]]).set('y', b);
    expect(dict.keys()).toEqual(['x', 'y']);
    expect(dict.delete('x')).toBe(true);
    expect(dict.namedParameters().map(([k]) => k)).toEqual(['y.weight', 'y.bias']);
    fails(() => dict.set('a.b', a), ValueError, /key must be a non-empty string without '\.', got 'a\.b'/);
    fails(() => new ModuleDict({ z: 1 as never }), ValueError, /the value of 'z' is not a Module/);
    fails(() => dict.set('training', a), ValueError, /the key 'training' is a property of ModuleDict/);
    fails(() => dict.set('get', a), ValueError, /the key 'get' is a property/);
    // insertion order, integer-like keys included, and the modules are fields a walk of own fields finds
    const ordered = new ModuleDict<Module>({ b: a, 10: b, 2: c });
    expect(ordered.keys()).toEqual(['2', '10', 'b']); // a record's own integer-like keys come first
    const pairs = new ModuleDict<Module>([
      ['b', a],
      ['10', b],
      ['2', c],
    ]);
    expect(pairs.keys()).toEqual(['b', '10', '2']);
    expect(pairs.namedParameters().map(([k]) => k)).toEqual(['b.weight', 'b.bias', '10.weight', '10.bias']);
    expect(Object.values(pairs).filter((v) => v instanceof Module)).toEqual([c, b, a]); // field order; namedChildren keeps insertion order
    expect(Object.values(list).filter((v) => v instanceof Module)).toEqual([a, b, c]);
  });

  it('refuses a field holding a plain array of modules (naming ModuleList), or a Map or plain object of them (naming ModuleDict)', () => {
    class Loose extends Module {
      layers = [new Linear(2, 2), new Linear(2, 2)];
      forward(x: VariableLike): Variable {
        return asVariable(x);
      }
    }
    const m = new Loose();
    fails(() => m.parameters(), ValueError, /Loose: the field 'layers' holds an array of modules; hold them in a ModuleList/);
    fails(() => m.stateDict(), ValueError, /ModuleList/);
    class ByName extends Module {
      heads: Record<string, Module> = { cls: new Linear(2, 2) };
      forward(x: VariableLike): Variable {
        return asVariable(x);
      }
    }
    class InMap extends Module {
      heads = new Map([['cls', new Linear(2, 2)]]);
      forward(x: VariableLike): Variable {
        return asVariable(x);
      }
    }
    const byName = new ByName();
    const inMap = new InMap();
    fails(
      () => byName.parameters(),
      ValueError,
      /ByName: the field 'heads' holds modules by name in a plain object; hold them in a ModuleDict/,
    );
    fails(() => inMap.train(), ValueError, /InMap: the field 'heads' holds modules by name in a Map; hold them in a ModuleDict/);
  });
});

describe('errors inside a sub-module name its path', () => {
  it('Sequential[2] (Linear), with the original error class, once', () => {
    manualSeed(0);
    const model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(5, 2));
    const x = randn([2, 4]);
    for (let i = 0; i < 2; i++) {
      const e = fails(() => model.forward(x), ShapeError, /^Sequential\[2\] \(Linear\): linear: /, { leakCheck: false });
      expect(e.message.match(/Sequential/g)!.length).toBe(1);
      expect(e.stack!.split('\n')[0]).toBe(`ShapeError: ${e.message}`);
    }
    x.dispose();
  });

  it('nested: the path through ModuleList and named fields; a direct call is not prefixed', () => {
    manualSeed(0);
    const m = new Stack();
    const x = randn([2, 5]);
    fails(() => m.forward(x), ShapeError, /^Stack\.blocks\[0\] \(Linear\): linear/, { leakCheck: false });
    const direct = fails(() => m.blocks.at(0).forward(x), ShapeError, /linear/, { leakCheck: false });
    expect(direct.message.startsWith('linear')).toBe(true);
    const nested = new Sequential(new ReLU(), new Sequential(new Linear(5, 5), new Linear(4, 1)));
    fails(() => nested.forward(x), ShapeError, /^Sequential\[1\]\[1\] \(Linear\): linear/, { leakCheck: false });
    x.dispose();
  });
});

describe('naming the path never replaces the error', () => {
  it('a sub-module error inside a module that cannot be walked, and a frozen error, propagate as they are', () => {
    class Inner extends Module {
      forward(_x: VariableLike): Variable {
        throw Object.freeze(new ShapeError('inner: frozen'));
      }
    }
    class Thrower extends Module {
      forward(_x: VariableLike): Variable {
        throw new StateError('thrower: broken');
      }
    }
    class Loose extends Module {
      layers = [new Thrower()];
      inner = new Inner();
      forward(x: VariableLike): Variable {
        return asVariable(x).sum().add(this.layers[0]!.forward(x));
      }
    }
    class Frozen extends Module {
      inner = new Inner();
      forward(x: VariableLike): Variable {
        return this.inner.forward(x);
      }
    }
    fails(() => new Loose().forward(tensor([1])), StateError, /^thrower: broken$/, { leakCheck: false });
    fails(() => new Frozen().forward(tensor([1])), ShapeError, /^inner: frozen$/, { leakCheck: false });
  });
});
