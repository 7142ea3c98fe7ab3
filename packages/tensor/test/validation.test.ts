import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { arange, full, GdError, IndexError, linspace, memory, ShapeError, scope, tensor, ValueError, where } from '../src/index.js';

const fails = failsWith(memory, GdError);

describe('creation refuses what it cannot represent', () => {
  it('full int32 outside the int32 range', () => {
    fails(() => full([2], 2 ** 31, 'int32'), ValueError, /full: value 2147483648 .*int32/);
    fails(() => full([2], -(2 ** 31) - 1, 'int32'), ValueError, /full: value -2147483649 .*int32/);
    fails(() => full([2], Number.POSITIVE_INFINITY, 'int32'), ValueError, /full: value Infinity/);
    expect(Array.from(full([2], -(2 ** 31), 'int32').data())).toEqual([-(2 ** 31), -(2 ** 31)]);
    expect(Array.from(full([1], 2 ** 31 - 1, 'int32').data())).toEqual([2 ** 31 - 1]);
  });
  it('arange with more elements than a tensor holds', () => {
    fails(() => arange(0, 1e12), ShapeError, /arange: .*1000000000000 elements/);
    fails(() => arange(0, 1, 1e-300), ShapeError, /arange/);
    fails(() => arange(0, 1, 5e-324), ShapeError, /arange/);
  });
  it('arange int32 values outside the int32 range', () => {
    fails(() => arange(2 ** 31, 2 ** 31 + 2), ValueError, /arange/);
  });
  it('linspace with more elements than a tensor holds', () => {
    fails(() => linspace(0, 1, 2 ** 31), ShapeError, /linspace: .*2147483648 elements/);
  });
  it('scope given a non-function', () => {
    fails(() => scope(5 as never), ValueError, /scope: expected a function, got number/);
    fails(() => scope(undefined as never), ValueError, /scope: expected a function, got undefined/);
  });
});

describe('relu treats NaN the same at every position', () => {
  it('NaN propagates in the SIMD body and in the scalar tail', () => {
    const x = tensor([Number.NaN, -1, 2, Number.NaN, Number.NaN, -3, 4]);
    const y = x.relu();
    expect(Array.from(y.data())).toEqual([Number.NaN, 0, 2, Number.NaN, Number.NaN, 0, 4]);
    x.dispose();
    y.dispose();
  });
});

describe('found by the fuzz suite', () => {
  it('an operand that fails to convert frees the operands converted before it', () => {
    const x = tensor([1], { dtype: 'int32' });
    fails(() => where(2, x, 1e20), ValueError, /where: value 100000000000000000000 .*int32/);
    x.dispose();
  });
  it('a null or non-array axis, perm, begin or size is an IndexError, not a TypeError', () => {
    const x = tensor([[1, 2]]);
    fails(() => x.sum(null as never), IndexError, /sum: axis must be an integer or an array/);
    fails(() => x.transpose('x' as never), IndexError, /transpose: perm must be/);
    fails(() => x.slice(null as never), IndexError, /slice: begin must be/);
    fails(() => x.slice([0, 0], null as never), IndexError, /slice: size must be/);
    x.dispose();
  });
});
