// Its own file (a fresh process): the heap is pushed past 2 GiB, so byte addresses above 2^31
// reach every op family. A signed `ptr >> 2` there would index the heap at negative positions.
import { describe, expect, it } from 'vitest';
import * as grad from '../src/grad.js';
import * as gd from '../src/index.js';
import { rt } from '../src/runtime.js';
import { cases } from './families.js';

describe('tensors above 2 GiB of WebAssembly memory', () => {
  it('one tensor of 2^29 floats pushes the heap past 2^31; small tensors then live above it', { timeout: 600_000 }, () => {
    gd.manualSeed(3);
    const low = Array.from(gd.randn([5]).data());
    // allocated, not filled: fresh WebAssembly pages are zero, and touching 2 GiB is slow on a busy machine
    const big = gd.keep(new gd.Tensor([2 ** 29], 'float32'));
    expect(gd.memory().wasmBytes).toBeGreaterThan(2 ** 31);
    const probe = gd.tensor([1, 2, 3]);
    expect(probe.storage.ptr).toBeGreaterThanOrEqual(2 ** 31);
    expect(probe.toArray()).toEqual([1, 2, 3]);
    gd.manualSeed(3);
    expect(Array.from(gd.randn([5]).data())).toEqual(low);
    // the big tensor itself: its last element sits above 2^31 too
    expect(big.slice([2 ** 29 - 2]).toArray()).toEqual([0, 0]);
    const tail = gd.tensor([7, 8]);
    expect(gd.concat([big.slice([2 ** 29 - 1]), tail]).toArray()).toEqual([0, 7, 8]);
    probe.dispose();
  });

  for (const c of cases) {
    it(`${c.name}, above 2^31`, () => {
      gd.scope(() => {
        expect(gd.tensor([0]).storage.ptr).toBeGreaterThanOrEqual(2 ** 31);
        c.run({ ...gd, ...grad });
      });
    });
  }

  it('index validation still sees every index above 2^31', () => {
    gd.scope(() => {
      const x = gd.tensor([1, 2, 3]);
      expect(() => x.gather([0, 3])).toThrow(gd.IndexError);
      expect(() => gd.oneHot(gd.tensor([5], { dtype: 'int32' }), 3)).toThrow(/index 5 at position 0 is out of range/);
    });
  });

  it('an allocation that cannot fit below 4 GiB is a MemoryError, and loses nothing', () => {
    const before = gd.memory();
    // 2^30 − 1 floats (4 GiB − 4 bytes) cannot fit beside the 2 GiB already in use
    expect(() => gd.zeros([2 ** 30 - 1])).toThrow(gd.MemoryError);
    expect(() => gd.zeros([2 ** 30 - 1])).toThrow(/limit is 4294967296|could not grow/);
    expect(gd.memory().bytesInUse).toBe(before.bytesInUse);
    expect(gd.memory().tensors).toBe(before.tensors);
    expect(rt().allocator.bytesInUse).toBe(before.bytesInUse);
    expect(gd.tensor([4, 5]).sum().item()).toBe(9);
  });
});
