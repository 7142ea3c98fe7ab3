// The safety net behind scope()/dispose(): tensors that become unreachable are freed by the
// garbage collector's finalizer; live tensors that keep growing draw one warning; MemoryError
// says what is alive. The project runs this file with --expose-gc (vitest.config.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { freeOnThrow, keep, type LeakReport, MemoryError, memory, ones, randn, scope, setLeakWarning, tensor } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage and lets the finalizers run (they run as tasks, after the collection). */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 0));
  }
}

afterEach(() => setLeakWarning(false));

describe('the safety net', () => {
  it('runs with --expose-gc', () => {
    expect(typeof gc).toBe('function');
  });

  it('a loop that drops its tensors unreferenced ends with memory flat once garbage is collected', async () => {
    setLeakWarning(false);
    await collect();
    const before = memory();
    for (let step = 0; step < 50; step++) {
      for (let i = 0; i < 200; i++)
        tensor([i, i + 1, i + 2])
          .mul(2)
          .add(1)
          .sum()
          .item();
      if (step % 10 === 9) await collect();
    }
    await collect();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytesInUse).toBe(before.bytesInUse);
  });

  it('frees a block shared by reshaped views once, with the last handle, whichever way each handle goes', async () => {
    await collect();
    const before = memory();
    let keepOne: ReturnType<typeof randn> | null = null;
    (() => {
      const x = randn([4, 4]);
      const v = x.reshape([16]);
      keepOne = v.reshape([2, 8]);
      x.dispose(); // explicit: unregistered; v is dropped to the collector; keepOne is still held
    })();
    await collect();
    // v's handle was collected, keepOne's memory must still be there and intact
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(memory().bytesInUse).toBeGreaterThan(before.bytesInUse);
    expect(keepOne!.size).toBe(16);
    expect(Number.isFinite(keepOne!.sum().item())).toBe(true);
    keepOne!.dispose();
    keepOne = null;
    await collect();
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    // a block freed twice would sit twice on the free list: two new tensors would share it
    const a = ones([16]);
    const b = ones([16]).mul(3);
    expect(a.sum().item()).toBe(16);
    expect(b.sum().item()).toBe(48);
    a.dispose();
    b.dispose();
  });

  it('tensors kept or returned past the outermost scope are on the net; scoped temporaries are freed by their scope', async () => {
    await collect();
    const before = memory();
    (() => {
      scope(() => keep(ones([8])));
      scope(() => ones([8]).add(1));
    })();
    expect(memory().tensors).toBe(before.tensors + 2);
    await collect();
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });

  it('randn([]).item()-style one-offs do not leak', async () => {
    await collect();
    const before = memory();
    let s = 0;
    for (let i = 0; i < 1000; i++) s += randn([]).item();
    expect(Number.isFinite(s)).toBe(true);
    await collect();
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });
});

describe('the leak warning', () => {
  it('warns once, naming the op that made the most live tensors and suggesting scope()', () => {
    const reports: LeakReport[] = [];
    setLeakWarning((r) => reports.push(r));
    const held = [];
    const x = ones([2]);
    for (let step = 0; step < 5000; step++) {
      // a training step without scope(): every result is held (or not yet collected)
      held.push(x.mul(2).exp().add(step));
      held.push(x.mul(3));
      scope(() => x.sum()); // scope exits elsewhere in the loop do not hide the growth
    }
    expect(reports).toHaveLength(1);
    const r = reports[0]!;
    expect(r.tensors).toBeGreaterThanOrEqual(10_000);
    expect(r.bytes).toBeGreaterThan(0);
    // mul made two of every five live blocks (exp one, add one, ...) – the most
    expect(r.topOp.op).toBe('mul');
    expect(r.message).toContain("'mul'");
    expect(r.message).toContain('scope(');
    expect(r.message).toMatch(/[\d,]+ tensors are alive/);
    for (const t of held) t.dispose();
    x.dispose();
  });

  it('stays silent for a loop that scopes every step, and when set to false', () => {
    const reports: LeakReport[] = [];
    setLeakWarning((r) => reports.push(r));
    const x = ones([2]);
    for (let step = 0; step < 5000; step++) scope(() => x.mul(2).exp().add(step).sum().item());
    expect(reports).toHaveLength(0);
    setLeakWarning(false);
    const held = [];
    for (let step = 0; step < 6000; step++) held.push(x.mul(2), x.add(1), x.exp());
    expect(reports).toHaveLength(0);
    for (const t of held) t.dispose();
    x.dispose();
  });

  it('rejects what is not a boolean or a function', () => {
    expect(() => setLeakWarning('yes' as never)).toThrow(/setLeakWarning: expected true, false or a function, got string/);
  });
});

describe('freeOnThrow', () => {
  it('frees what fn made when it throws, and leaves what it made to the enclosing scope when it returns', () => {
    const before = memory();
    expect(() =>
      freeOnThrow(() => {
        ones([3]).add(1);
        randn([2, 2]);
        throw new Error('half-way');
      }),
    ).toThrow('half-way');
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    let inner: ReturnType<typeof ones> | undefined;
    const outer = scope(() => {
      const r = freeOnThrow(() => {
        inner = ones([2]); // not returned, yet alive until the enclosing scope ends
        return inner.mul(2);
      });
      expect(inner!.isDisposed).toBe(false);
      return r;
    });
    expect(inner!.isDisposed).toBe(true);
    expect(outer.toArray()).toEqual([2, 2]);
    outer.dispose();
    expect(memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
  });
});

describe('MemoryError', () => {
  it('says how many tensors are alive, the bytes they hold, and suggests scope()', () => {
    const held = [ones([1000]), ones([1000])];
    let err: unknown;
    try {
      ones([2 ** 30 - 1]); // 4 GiB of float32: beyond the wasm32 limit
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryError);
    const m = (err as Error).message;
    expect(m).toMatch(/^alloc: /); // the allocator's own message is kept
    expect(m).toMatch(/\d+ tensors are alive, holding \d+\.\d MiB/);
    expect(m).toContain('scope(');
    for (const t of held) t.dispose();
  });
});
