import { memory, StateError, scope, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { grad, noGrad, toDot, valueAndGrad, variable } from '../src/index.js';

describe('autograd API', () => {
  it('grad and valueAndGrad: functional forms', () => {
    const df = grad((p) => p.square().sum());
    expect((df(tensor([1, 2])) as ReturnType<typeof tensor>).toArray()).toEqual([2, 4]);
    const [value, [da, db]] = valueAndGrad((a, b) => a!.mul(b!).sum())(tensor([1, 2]), tensor([3, 4]));
    expect(value).toBe(11);
    expect(da!.toArray()).toEqual([3, 4]);
    expect(db!.toArray()).toEqual([1, 2]);
  });
  it('a JS number or array joins a float64 Variable unrounded, as in the tensor ops', () => {
    scope(() => {
      const v = variable(tensor([0.25, 2], { dtype: 'float64' }));
      // 1e-5 in float32 is 9.99999974737875e-6: the float64 sum must not see that neighbour
      expect(Array.from(v.add(1e-5).value.data())).toEqual([0.25 + 1e-5, 2 + 1e-5]);
      expect(Array.from(v.mul([0.1, 0.3]).value.data())).toEqual([0.25 * 0.1, 2 * 0.3]);
      expect(Array.from(v.value.add(1e-5).data())).toEqual(Array.from(v.add(1e-5).value.data()));
      // a float32 Variable keeps float32 (a JS number never upcasts)
      const f = variable(tensor([0.25, 2]));
      expect(f.add(1e-5).dtype).toBe('float32');
      expect(Array.from(f.add(1e-5).value.data())).toEqual([Math.fround(0.25 + Math.fround(1e-5)), Math.fround(2 + Math.fround(1e-5))]);
    });
  });
  it('float64 gradient rules keep their constants unrounded (leakyRelu slope, shares of tied maxima)', () => {
    scope(() => {
      const x = variable(tensor([-2, 3], { dtype: 'float64' }));
      x.leakyRelu(0.1).sum().backward();
      expect(Array.from(x.grad!.data())).toEqual([0.1, 1]);
      const t = variable(tensor([5, 5, 1, 5], { dtype: 'float64' }));
      t.max().backward();
      expect(t.grad!.dtype).toBe('float64');
      expect(Array.from(t.grad!.data())).toEqual([1 / 3, 1 / 3, 0, 1 / 3]);
    });
  });
  it('gradients accumulate across backward calls until zeroGrad; detach and noGrad stop the graph', () => {
    const w = variable([2]);
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(w.grad!.item()).toBe(6);
    w.zeroGrad();
    expect(w.grad).toBeNull();
    expect(w.detach().mul(2).requiresGrad).toBe(false);
    expect(noGrad(() => w.mul(2)).requiresGrad).toBe(false);
  });
  it('backward twice through a freed graph is a clear error; retainGraph allows it', () => {
    const w = variable([1.5]);
    const y = w.square().sum();
    y.backward();
    expect(() => y.backward()).toThrow(StateError);
    expect(() => y.backward()).toThrow(/freed by an earlier backward\(\); pass \{ retainGraph: true \}/);
    const z = w.square().sum();
    w.zeroGrad();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(w.grad!.item()).toBe(6);
  });
  it('a non-scalar output needs the upstream gradient', () => {
    const w = variable([1, 2]);
    expect(() => w.mul(2).backward()).toThrow(/not a scalar; pass the upstream gradient/);
    w.mul(2).backward([1, 10]);
    expect(w.grad!.toArray()).toEqual([2, 20]);
  });
  it('toDot draws every node with shape, value and gradient', () => {
    const x = variable([1, 2], { name: 'x' });
    const y = x.square().sum();
    y.backward(undefined, { retainGrads: true });
    const dot = toDot(y);
    expect(dot.startsWith('digraph gd {')).toBe(true);
    expect(dot).toContain('x | shape [2] | value [1.0000, 2.0000] | grad [2.0000, 4.0000]');
    expect(dot).toContain('label="square"');
    expect(dot).toContain('label="sum"');
    expect((dot.match(/->/g) ?? []).length).toBe(4);
  });
  it('a scoped training step leaves memory flat', () => {
    const w = variable([0.5, -0.5]);
    const before = memory().bytesInUse;
    for (let i = 0; i < 200; i++) {
      scope(() => {
        w.zeroGrad();
        w.mul([1, 2]).tanh().square().sum().backward();
      });
    }
    w.zeroGrad();
    expect(memory().bytesInUse).toBe(before);
  });
});
