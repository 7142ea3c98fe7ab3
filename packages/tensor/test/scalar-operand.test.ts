// An elementwise op of a float32 tensor and a JS number computes the number as a float32 scalar
// without making a tensor of it; these check it against the op on an explicit scalar tensor.
import { describe, expect, it } from 'vitest';
import { add, copyInto, DisposedError, div, memory, mul, pow, record, scope, sub, tensor } from '../src/index.js';

const bits = (a: Float32Array | Float64Array | Int32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4)];

describe('a float32 tensor with a JS number', () => {
  const ops = { add, sub, mul, div, pow };
  for (const [name, f] of Object.entries(ops)) {
    it(`${name} gives the bits of the op on a float32 scalar tensor, in either shape`, () => {
      scope(() => {
        // 0.1 and 1/3 are not float32 numbers: the number must be rounded to float32 first
        for (const b of [0.1, 1 / 3, -2.5, 0]) {
          for (const x of [tensor([1.5, -0.7, 3, 0.25, 7]), tensor([[2]]), tensor(0.6)]) {
            const got = f(x, b);
            const want = f(x, tensor(b));
            expect(got.shape).toEqual(want.shape);
            expect(got.dtype).toBe('float32');
            expect(bits(got.data())).toEqual(bits(want.data()));
          }
        }
      });
    });
  }

  it('matches hand-computed values and makes only the result', () => {
    const x = tensor([1, 2, 4]);
    const before = memory().tensors;
    const y = x.mul(3).add(0.5);
    expect(memory().tensors).toBe(before + 2);
    expect(y.toArray()).toEqual([3.5, 6.5, 12.5]);
    y.dispose();
    x.dispose();
  });

  it('a number next to an empty tensor gives an empty result', () => {
    const e = tensor([], { shape: [0, 3] });
    const r = e.add(1);
    expect(r.shape).toEqual([0, 3]);
    r.dispose();
    e.dispose();
  });

  it('a disposed tensor is a DisposedError naming the op', () => {
    const x = tensor([1, 2]);
    x.dispose();
    expect(() => x.mul(2)).toThrow(DisposedError);
    expect(() => x.mul(2)).toThrow(/^mul: tensor \[2\] float32 was disposed/);
  });

  it('replays with each recorded number, in order', () => {
    const x = tensor([1, 2]);
    const r = record(() => x.mul(2).add(3).div(4));
    expect(r.result.toArray()).toEqual([1.25, 1.75]);
    copyInto(x, tensor([5, -1]));
    r.replay();
    expect(r.result.toArray()).toEqual([3.25, 0.25]);
    r.result.dispose();
    r.dispose();
    x.dispose();
  });
});
