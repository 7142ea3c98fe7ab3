import { describe, expect, it } from 'vitest';
import { BlockAllocator } from '../src/allocator.js';
import { keep, memory, ones, randn, scope, tensor, zeros } from '../src/index.js';

describe('memory', () => {
  it('100,000 tensors created and freed in scopes leave bytesInUse at its baseline', () => {
    const before = memory();
    for (let i = 0; i < 1000; i++) {
      scope(() => {
        for (let j = 0; j < 100; j++) tensor([j, j + 1, j + 2]).mul(2);
      });
    }
    const after = memory();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.tensors).toBe(before.tensors);
    // exact-size reuse: the heap did not grow for this
    expect(after.wasmBytes).toBe(before.wasmBytes);
  });

  it('scope keeps what it returns (arrays and objects too) and what keep() marks; nested scopes hand results up', () => {
    const before = memory().tensors;
    const kept = scope(() => keep(ones([2])));
    const { a, b } = scope(() => {
      const inner = scope(() => ones([3]).add(1));
      ones([4]);
      return { a: inner, b: [zeros([1])] };
    });
    expect(a.isDisposed).toBe(false);
    expect(b[0]!.isDisposed).toBe(false);
    expect(kept.isDisposed).toBe(false);
    expect(memory().tensors).toBe(before + 3);
    for (const t of [kept, a, b[0]!]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('scope keeps the tensors of an array it returns, short or long, with nulls and nested arrays, and frees the rest', () => {
    const before = memory().tensors;
    let dropped: ReturnType<typeof ones>[] = [];
    const [x, none, y] = scope(() => {
      const a = ones([2]);
      dropped = [ones([1]), a.add(1)];
      const k = keep(ones([3]));
      dropped.push(k);
      return [a, null, a.mul(2)];
    });
    expect(none).toBe(null);
    expect(x!.toArray()).toEqual([1, 1]);
    expect(y!.toArray()).toEqual([2, 2]);
    expect(dropped.map((t) => t.isDisposed)).toEqual([true, true, false]);
    expect(memory().tensors).toBe(before + 3);
    // nine entries, one a nested array: the general search
    const long = scope(() => {
      const ts = Array.from({ length: 8 }, (_, i) => zeros([i + 1]));
      zeros([9]);
      return [...ts, [ones([1])]];
    });
    expect(memory().tensors).toBe(before + 3 + 9);
    // a nested scope hands its array's tensors to the enclosing one, which frees what it drops
    const outer = scope(() => {
      const inner = scope(() => [ones([1]), ones([2])]);
      return inner[1]!;
    });
    expect(outer.shape).toEqual([2]);
    expect(memory().tensors).toBe(before + 3 + 9 + 1);
    for (const t of [
      x!,
      y!,
      dropped[2]!,
      ...(long.slice(0, 8) as ReturnType<typeof ones>[]),
      (long[8] as ReturnType<typeof ones>[])[0]!,
      outer,
    ])
      t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('a throwing scope still frees its temporaries', () => {
    const before = memory().bytesInUse;
    expect(() =>
      scope(() => {
        ones([100]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().bytesInUse).toBe(before);
  });

  it('a tensor larger than the initial memory forces a grow and stays correct', () => {
    const before = memory().wasmBytes;
    const n = 8 * 1024 * 1024; // 32 MiB of float32, beyond the initial 4 MiB
    const big = ones([n]);
    const probe = tensor([1, 2, 3]);
    expect(memory().wasmBytes).toBeGreaterThan(before);
    expect(big.sum().item()).toBe(n);
    expect(probe.toArray()).toEqual([1, 2, 3]);
    big.dispose();
    probe.dispose();
  });

  it('reshaped views share storage, which is freed with the last of them', () => {
    const before = memory().bytesInUse;
    const x = randn([4, 4]);
    const v = x.reshape([16]);
    x.dispose();
    expect(v.isDisposed).toBe(false);
    expect(v.toArray()).toHaveLength(16);
    expect(memory().bytesInUse).toBeGreaterThan(before);
    v.dispose();
    expect(memory().bytesInUse).toBe(before);
  });
});

describe('BlockAllocator', () => {
  it('is 16-byte aligned, reuses exact sizes, coalesces when the top is full, and grows only when it must', () => {
    let end = 192;
    const grows: number[] = [];
    const a = new BlockAllocator(16, end, (need) => {
      grows.push(need);
      end = need + 1024;
      return end;
    });
    const p1 = a.alloc(10);
    const p2 = a.alloc(100);
    const p3 = a.alloc(33);
    for (const p of [p1, p2, p3]) expect(p % 16).toBe(0);
    expect(new Set([p1, p2, p3]).size).toBe(3);
    a.free(p2, 100);
    expect(a.alloc(100)).toBe(p2);
    // the range is full: free two neighbours, then ask for their combined size — coalescing serves it in place
    a.free(p1, 10);
    a.free(p2, 100);
    expect(a.alloc(16 + 112)).toBe(p1);
    expect(grows).toEqual([]);
    a.alloc(4096);
    expect(grows.length).toBe(1);
    expect(a.bytesInUse).toBe(16 + 112 + 48 + 4096);
  });
});
