import { describe, expect, it } from 'vitest';
import { arange, full, type GdError, linspace, memory, ShapeError, scope, ValueError } from '../src/index.js';

function fails(fn: () => unknown, type: new (...a: never[]) => GdError, message: RegExp) {
  const before = memory();
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(message);
  expect(memory().tensors).toBe(before.tensors);
  expect(memory().bytesInUse).toBe(before.bytesInUse);
}

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
