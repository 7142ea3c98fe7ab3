import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  arange,
  axpyInPlace,
  DisposedError,
  DTypeError,
  GdError,
  IndexError,
  manualSeed,
  memory,
  rand,
  randint,
  ShapeError,
  sumOfSquares,
  tensor,
  ValueError,
  zeros,
} from '../src/index.js';

// One test per class of bad input: the error's type, its code, and a message naming the op, what
// was given and what was expected. Nothing allocated by a failing call is leaked.
const fails = failsWith(memory, GdError);

describe('bad input gives a typed error and loses nothing', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('bytes or another typed array: named, with the arrays a tensor is made from', () => {
    fails(
      () => tensor(Buffer.from([0, 1, 2]) as never),
      ValueError,
      /^tensor: expected a Float32Array, Float64Array or Int32Array \(or numbers\), got a Node Buffer \(bytes\); convert it first, e\.g\. Int32Array\.from\(data\)/,
    );
    fails(
      () => a.add(new Uint8Array([1, 2, 3]) as never),
      ValueError,
      /^add: expected a Float32Array, Float64Array or Int32Array \(or numbers\), got a Uint8Array;/,
    );
    fails(() => tensor(new Int16Array(2) as never), ValueError, /got an Int16Array;/);
  });

  it('shape mismatch', () => {
    fails(() => a.add([1, 2]), ShapeError, /add: shapes \[2,3\] and \[2\] cannot broadcast \(axis -1: 3 vs 2\)/);
    fails(
      () =>
        a.matmul([
          [1, 2],
          [3, 4],
        ]),
      ShapeError,
      /matmul: \[2,3\]·\[2,2\]: inner dimensions 3 and 2 differ/,
    );
    fails(() => a.reshape([4]), ShapeError, /reshape: \[2,3\] \(6 elements\) cannot become \[4\]/);
    fails(() => tensor([[1, 2], [3]]), ShapeError, /ragged nested array/);
    expect(
      (() => {
        try {
          a.add([1, 2]);
        } catch (e) {
          return (e as GdError).code;
        }
      })(),
    ).toBe('E_SHAPE');
  });
  it('wrong dtype', () => {
    fails(() => a.oneHot(3), DTypeError, /oneHot: indices must be int32, got float32/);
    const floatIdx = tensor([0.5]);
    fails(() => a.gather(floatIdx, 0), DTypeError, /gather: indices must be int32/);
    fails(() => a.cast('float16' as never), DTypeError, /cast: dtype float16 is not float32, float64 or int32/);
  });
  it('in-place updates given something other than tensors, or a non-number alpha', () => {
    const p = zeros([3]);
    const g = zeros([3]);
    fails(() => axpyInPlace(p, null as never, 1), ValueError, /axpyInPlace: expected float32 or float64 tensors, got null/);
    fails(() => axpyInPlace(p, Buffer.alloc(12) as never, 1), ValueError, /axpyInPlace: expected float32 or float64 tensors, got Buffer/);
    fails(() => axpyInPlace(p, [1, 2, 3] as never, 1), ValueError, /got Array/);
    fails(() => axpyInPlace(p, g, '1' as never), ValueError, /axpyInPlace: alpha must be a number, got string/);
    fails(() => sumOfSquares(undefined as never), ValueError, /sumOfSquares: expected float32 or float64 tensors, got undefined/);
    expect(Array.from(p.data())).toEqual([0, 0, 0]);
  });

  it('disposed tensor', () => {
    const t = tensor([1, 2]);
    t.dispose();
    fails(() => t.add(1), DisposedError, /add: tensor \[2\] float32 was disposed/);
    fails(() => t.toArray(), DisposedError, /was disposed/);
    expect(t.isDisposed).toBe(true);
  });
  it('out-of-range index or axis', () => {
    fails(() => a.gather([0, 2], 0), IndexError, /gather: index 2 at position 1 is out of range for axis 0 of \[2,3\] \(expected 0..1\)/);
    fails(() => a.sum(2), IndexError, /sum: axis 2 is out of range for rank 2/);
    fails(() => a.slice([1, 1], [1, 5]), IndexError, /slice: size 5 from 1 exceeds axis 1 of length 3/);
    const three = tensor([3], { dtype: 'int32' });
    fails(() => three.oneHot(3), IndexError, /index 3 at position 0 is out of range for depth 3/);
    fails(() => a.transpose([0, 0]), ShapeError, /not a permutation/);
  });
  it('NaN where forbidden', () => {
    fails(() => a.clamp(Number.NaN, 1), ValueError, /clamp: min must be a number, got NaN/);
    fails(() => arange(0, Number.NaN), ValueError, /arange: stop must be a finite number, got NaN/);
    fails(() => rand([2], { low: 0, high: Number.NaN }), ValueError, /rand: high must be a finite number/);
    fails(() => manualSeed(Number.NaN), ValueError, /manualSeed: seed must be an integer/);
  });
  it('non-integer or negative shape', () => {
    fails(() => zeros([2, 1.5]), ShapeError, /zeros: shape \[2,1.5\]: dimension 1 is 1.5; expected a non-negative integer/);
    fails(() => zeros([-1]), ShapeError, /dimension 0 is -1/);
    fails(() => randint(0, 5, [Number.NaN]), ShapeError, /dimension 0 is NaN/);
    fails(() => tensor([1.5], { dtype: 'int32' }), ValueError, /value 1.5 at flat index 0 is not an int32/);
    fails(() => tensor('abc' as never), ValueError, /expected a number, nested arrays of numbers or a typed array/);
    const variableLike = { value: tensor([1]) };
    fails(
      () => a.matmul(variableLike as never),
      ValueError,
      /matmul: got a Variable where a Tensor op needs tensor data; call the op on the Variable/,
    );
  });
  it('item on a tensor with more than one element; empty max', () => {
    fails(() => a.item(), ValueError, /item: tensor \[2,3\] has 6 elements; expected exactly 1/);
    const empty = zeros([0]);
    fails(() => empty.max(), ValueError, /max: cannot reduce \[0\] over an empty axis/);
  });
});
