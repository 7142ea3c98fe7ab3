import { GdError, memory, tensor } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { concat, grad, gradcheck, noGrad, stack, toDot, valueAndGrad, variable } from '../src/index.js';

const fails = failsWith(memory, GdError);

// Wrong types at every public entry point: a typed GdError naming the call, never a raw TypeError.
describe('autograd entry points refuse wrong types with a GdError', () => {
  // operands made once, outside the refused calls, so each call is checked to allocate nothing
  const m = variable([
    [1, 2],
    [3, 4],
  ]);
  const v = () => m;
  const total = m.sum();
  const t = tensor([1]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['variable with null options', () => variable([1], null as never), /variable: options/],
    ['variable with a non-boolean requiresGrad', () => variable([1], { requiresGrad: 'yes' as never }), /requiresGrad/],
    ['backward with null options', () => total.backward(undefined, null as never), /backward: options/],
    ['matmul with null options', () => v().matmul(v(), null as never), /matmul: options/],
    ['broadcastTo a non-array', () => v().broadcastTo(Number.NaN as never), /broadcastTo: shape/],
    ['concat of a non-array', () => concat(5 as never), /concat: expected an array/],
    ['stack of null', () => stack(null as never), /stack: expected an array/],
    ['grad of a non-function', () => grad(3 as never), /grad: expected a function/],
    ['valueAndGrad of a non-function', () => valueAndGrad(null as never), /valueAndGrad: expected a function/],
    ['gradcheck of a non-function', () => gradcheck(1 as never, [t]), /gradcheck: f must be/],
    ['gradcheck of non-array inputs', () => gradcheck((x) => x.sum(), null as never), /gradcheck: inputs must be/],
    ['gradcheck with null options', () => gradcheck((x) => x.sum(), [t], null as never), /gradcheck: options/],
    ['noGrad of a non-function', () => noGrad(Number.NaN as never), /noGrad: expected a function/],
    ['toDot of null', () => toDot(null as never), /toDot: expected a Variable/],
    ['toDot with null options', () => toDot(v(), null as never), /toDot: options/],
  ];
  for (const [label, run, message] of cases) {
    it(label, () => {
      fails(run, GdError, message);
    });
  }
  it('a bad seed frees what backward() allocated for it', () => {
    const x = variable([1, 2]);
    const y = x.mul(2);
    const before = memory().tensors;
    expect(() => y.backward([1, 2, 3])).toThrow(GdError);
    expect(memory().tensors).toBe(before);
  });
});
