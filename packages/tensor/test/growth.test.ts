// Memory growth in the middle of an op: for every allocation an op makes, a fresh runtime is made
// to grow its WebAssembly memory right before that allocation (through the allocator's own grow
// path). A typed-array view of the heap taken before it would then be detached (plain memory) or
// too short (shared memory, threads), and the op would throw a raw TypeError or drop writes.
import { describe, expect, it, vi } from 'vitest';
import { type Api, cases } from './families.js';

type Runtime = typeof import('../src/runtime.js');
type Threads = typeof import('../src/threads.js');

async function fresh(threads: number): Promise<{ g: Api; runtime: Runtime; th: Threads }> {
  vi.resetModules();
  const g = { ...(await import('../src/index.js')), ...(await import('../src/grad.js')) } as Api;
  const runtime = (await import('../src/runtime.js')) as Runtime;
  const th = (await import('../src/threads.js')) as Threads;
  if (threads > 1) await g.ready({ threads });
  return { g, runtime, th };
}

/** Wraps the allocator so that the allocation number `at` (0-based) first grows the memory. */
function growBefore(runtime: Runtime, at: number): { count: () => number; grew: () => boolean; restore: () => void } {
  const r = runtime.rt();
  const allocator = r.allocator;
  const original = allocator.alloc.bind(allocator);
  let n = 0;
  let grew = false;
  allocator.alloc = (bytes: number): number => {
    if (n++ === at) {
      const before = r.memory.buffer.byteLength;
      // a block larger than all free space below the current end: the allocator must grow
      const filler = before - allocator.bytesInUse + 16;
      const p = original(filler);
      allocator.free(p, filler);
      grew = r.memory.buffer.byteLength > before;
    }
    return original(bytes);
  };
  return { count: () => n, grew: () => grew, restore: () => (allocator.alloc = original) };
}

for (const threads of [1, 2]) {
  describe(`memory grows in the middle of every op (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        // how many allocations the case makes
        let total = 0;
        {
          const { g, runtime, th } = await fresh(threads);
          const probe = growBefore(runtime, -1);
          g.scope(() => c.run(g));
          total = probe.count();
          await th.stopThreads();
        }
        expect(total).toBeGreaterThan(0);
        // a fresh runtime per allocation point, since every forced growth enlarges the memory by half
        for (let at = 0; at < total; at++) {
          const { g, runtime, th } = await fresh(threads);
          try {
            const before = g.memory();
            const hook = growBefore(runtime, at);
            g.scope(() => c.run(g));
            expect(hook.grew(), `allocation ${at} of ${total} grew the memory`).toBe(true);
            expect(g.memory().tensors).toBe(before.tensors);
            expect(g.memory().bytesInUse).toBe(before.bytesInUse);
          } finally {
            await th.stopThreads();
          }
        }
      });
    }
  });
}

describe('concat of a float32 and a large int32 tensor', () => {
  it('casts the int32 part while memory grows, returns the right values and leaks nothing', async () => {
    const { g, th } = await fresh(1);
    const n = 3 * 1024 * 1024; // 12 MiB: its float32 copy cannot fit in the 4 MiB initial memory
    const big = g.arange(0, n, 1, 'int32');
    const small = g.tensor([0.5, 1.5]);
    const before = g.memory();
    const out = g.concat([small, big]);
    expect(out.size).toBe(n + 2);
    const d = out.data();
    expect([d[0], d[1], d[2], d[3], d[n + 1]]).toEqual([0.5, 1.5, 0, 1, n - 1]);
    out.dispose();
    expect(g.memory().bytesInUse).toBe(before.bytesInUse);
    expect(g.memory().tensors).toBe(before.tensors);
    await th.stopThreads();
  });
});
