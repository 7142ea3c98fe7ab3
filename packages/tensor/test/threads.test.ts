// Runs in its own file (a fresh worker process): threads must be chosen before the first op.
import { describe, expect, it } from 'vitest';
import { fillInPlace, manualSeed, matmul, randn, ready, record, scope, setThreads, tensor, threadCount, ValueError } from '../src/index.js';

describe('matmul on two threads', () => {
  it('rejects bad thread counts', async () => {
    await expect(ready({ threads: 0 })).rejects.toThrow(ValueError);
    await expect(ready({ threads: 1.5 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it('is bit-identical to one thread for every transpose variant, batch and ragged split', async () => {
    await ready({ threads: 2 });
    expect(threadCount()).toBe(2);
    const shapes: Array<[number, number, number]> = [
      [257, 300, 129], // m not a multiple of the 4-row split
      [512, 512, 512],
      [130, 1030, 260],
      [9, 4000, 300], // few rows, still over the threshold: split by columns
      [32, 784, 128], // a layer's forward product at batch 32: wider than tall, split by columns
      [128, 128, 780], // its weight gradient Xᵀ·dY: split by columns, 780 not a multiple of 8
    ];
    for (const [m, k, n] of shapes) {
      for (const [tA, tB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        for (const dtype of ['float32', 'float64'] as const) {
          scope(() => {
            manualSeed(m + n);
            const a = randn(tA ? [k, m] : [m, k], { dtype });
            const b = randn(tB ? [n, k] : [k, n], { dtype });
            setThreads(1);
            const one = matmul(a, b, { transposeA: tA, transposeB: tB }).data();
            setThreads(2);
            const two = matmul(a, b, { transposeA: tA, transposeB: tB }).data();
            expect(two.length).toBe(m * n);
            expect(two.BYTES_PER_ELEMENT).toBe(dtype === 'float64' ? 8 : 4);
            expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
          });
        }
      }
    }
    scope(() => {
      // batched with shared B folds into one tall product, which is split too
      const x = randn([4, 100, 300]);
      const w = randn([300, 200]);
      setThreads(1);
      const one = x.matmul(w).data();
      setThreads(2);
      expect(Array.from(x.matmul(w).data())).toEqual(Array.from(one));
      // a hand-checked small product still runs (below the threshold, on one thread)
      expect(
        tensor([
          [1, 2],
          [3, 4],
        ])
          .matmul([[5], [6]])
          .toArray(),
      ).toEqual([[17], [39]]);
    });
  });

  it("gives one thread's bits over many back-to-back products, whichever thread runs the second part", () => {
    // just above the split threshold, one after another: the caller often finishes first and runs a
    // part no worker has claimed yet itself; either way every element is the same
    scope(() => {
      manualSeed(7);
      const a = randn([100, 100]);
      const b = randn([100, 104]);
      setThreads(1);
      const one = matmul(a, b).data();
      setThreads(2);
      for (let i = 0; i < 300; i++) {
        scope(() => {
          const two = matmul(a, b).data();
          expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
        });
      }
    });
  });

  it('record() replays a split product bit-identically on one or two threads', () => {
    scope(() => {
      manualSeed(8);
      const a = randn([128, 300]);
      const b = randn([300, 128]);
      setThreads(1);
      const one = matmul(a, b).data();
      setThreads(2);
      const r = record(() => matmul(a, b));
      for (const threads of [2, 1, 2]) {
        setThreads(threads);
        fillInPlace(r.result, 0);
        r.replay();
        expect(Buffer.from(r.result.data().buffer).equals(Buffer.from(one.buffer))).toBe(true);
      }
      r.dispose();
    });
  });

  it('setThreads is bounded by the threads started', () => {
    expect(() => setThreads(3)).toThrow(/from 1 to 2/);
    expect(() => setThreads(0)).toThrow(ValueError);
  });
});
