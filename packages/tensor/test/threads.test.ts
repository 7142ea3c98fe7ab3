// Runs in its own file (a fresh worker process): threads must be chosen before the first op.
import { describe, expect, it } from 'vitest';
import { fusedAttentionBackward, lstmSequenceBackward, softmaxCrossEntropyBackward } from '../src/grad.js';
import {
  adagradUpdate,
  adamUpdate,
  axpyInPlace,
  fillInPlace,
  full,
  fusedAttention,
  keep,
  lstmSequence,
  manualSeed,
  matmul,
  randn,
  ready,
  record,
  rmspropUpdate,
  scope,
  setThreads,
  sgdUpdate,
  softmaxCrossEntropy,
  sumOfSquares,
  type Tensor,
  tensor,
  threadCount,
  triu,
  ValueError,
  zeros,
} from '../src/index.js';
import { resetSplits, splitStats } from '../src/threads.js';

/** Whether two lists of buffers hold the same bytes (Buffer.equals: a deep toEqual of large buffers is slow). */
const same = (a: Buffer[], b: Buffer[]) => a.length === b.length && a.every((x, i) => x.equals(b[i]!));

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
      [32, 784, 128], // a layer's forward X·Wᵀ at batch 32 (B transposed: split by columns)
      [128, 128, 780], // its weight gradient dYᵀ·X (A transposed: split by rows); 780 columns not a multiple of 8
      [6, 500, 400], // A transposed but too few rows to split: split by columns
      [12, 10_000, 12], // both sides short: 12 rows split as 8 + 4
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
      resetSplits();
      for (let i = 0; i < 300; i++) {
        scope(() => {
          const two = matmul(a, b).data();
          expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
        });
      }
      // splitting pauses only after 16 slow splits, so at least those were made; back to back, the
      // worker is still polling, so the governor judges them
      expect(splitStats().splits).toBeGreaterThanOrEqual(16);
      expect(splitStats().judged).toBeGreaterThan(0);
    });
  });

  it("gives one thread's bits on a loaded machine, whether the governor splits or pauses", async () => {
    // two busy threads on top of the caller and its worker: the worker is descheduled now and then
    const { Worker } = await import('node:worker_threads');
    const busy = [0, 1].map(() => new Worker('for (;;) {}', { eval: true }));
    try {
      scope(() => {
        manualSeed(8);
        const a = randn([128, 300]);
        const b = randn([300, 128]);
        const x = randn([40000]);
        setThreads(1);
        const one = Buffer.from(matmul(a, b).data().buffer);
        // an update accumulates: a part run twice, or not at all, changes the sum
        const acc1 = zeros([40000]);
        for (let i = 0; i < 100; i++) axpyInPlace(acc1, x, 0.5);
        setThreads(2);
        resetSplits();
        const acc2 = zeros([40000]);
        for (let i = 0; i < 100; i++) {
          scope(() => {
            expect(Buffer.from(matmul(a, b).data().buffer).equals(one)).toBe(true);
          });
          axpyInPlace(acc2, x, 0.5);
        }
        expect(Buffer.from(acc2.data().buffer).equals(Buffer.from(acc1.data().buffer))).toBe(true);
        // the first 16 splits are always made: a pause needs 16 slow ones
        expect(splitStats().splits).toBeGreaterThanOrEqual(16);
      });
    } finally {
      await Promise.all(busy.map((w) => w.terminate()));
    }
  });

  it('a worker woken from sleep is not taken for load: products 3 ms apart never pause splitting', () => {
    scope(() => {
      manualSeed(9);
      const a = randn([100, 100]);
      const b = randn([100, 104]);
      setThreads(2);
      resetSplits();
      for (let i = 0; i < 40; i++) {
        // longer than a worker polls before it sleeps: the next part often finds it asleep
        const until = performance.now() + 3;
        while (performance.now() < until);
        scope(() => matmul(a, b).data());
      }
      expect(splitStats()).toEqual({ splits: 40, judged: 0, pauses: 0 });
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
        resetSplits();
        fillInPlace(r.result, 0);
        r.replay();
        expect(Buffer.from(r.result.data().buffer).equals(Buffer.from(one.buffer))).toBe(true);
        // the replay split the product on two threads
        expect(splitStats().splits).toBe(threads === 2 ? 1 : 0);
      }
      r.dispose();
    });
  });

  it("optimizer updates over a large parameter split across threads give one thread's bits", () => {
    // 100,003 elements: over the split threshold, parts not a multiple of the SIMD width
    const n = 100_003;
    const updates: Record<string, (p: Tensor, g: Tensor, s: Tensor[]) => void> = {
      axpy: (p, g) => axpyInPlace(p, g, -0.01),
      sgd: (p, g, [b]) => sgdUpdate(p, g, b!, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3, nesterov: false, first: false }),
      adam: (p, g, [m, v, vmax]) =>
        adamUpdate(p, g, m!, v!, vmax!, {
          lr: 1e-3,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: 0.01,
          decoupled: true,
          amsgrad: true,
          step: 3,
        }),
      rmsprop: (p, g, [sq, b, ga]) =>
        rmspropUpdate(p, g, sq!, b!, ga!, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.5, centered: true }),
      adagrad: (p, g, [sum]) => adagradUpdate(p, g, sum!, { lr: 0.1, eps: 1e-10, weightDecay: 0 }),
    };
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [name, update] of Object.entries(updates)) {
        scope(() => {
          const run = (threads: number, replayed: boolean) => {
            manualSeed(3);
            const p = randn([n], { dtype });
            const g = randn([n], { dtype });
            const state = [0, 1, 2].map(() => randn([n], { dtype }).abs());
            setThreads(threads);
            resetSplits();
            if (replayed) {
              // recorded (the first update), then replayed (the second)
              const r = record(() => update(p, g, state));
              r.replay();
              r.dispose();
            } else {
              update(p, g, state);
              update(p, g, state);
            }
            // both updates were split on two threads
            expect(splitStats().splits).toBe(threads === 2 ? 2 : 0);
            return p.data();
          };
          const one = run(1, false);
          for (const [threads, replayed] of [
            [2, false],
            [2, true],
          ] as const) {
            const two = run(threads, replayed);
            expect(
              Buffer.from(two.buffer).equals(Buffer.from(one.buffer)),
              `${name} ${dtype} ${threads} threads${replayed ? ', replayed' : ''}`,
            ).toBe(true);
          }
          if (name === 'axpy') {
            // two steps of p − 0.01·g, against a plain-JS loop
            manualSeed(3);
            const p0 = randn([n], { dtype }).data();
            const g0 = randn([n], { dtype }).data();
            const round = dtype === 'float32' ? Math.fround : (x: number) => x;
            for (const i of [0, 50_000, 50_176, n - 1]) {
              const once = round(p0[i]! + round(round(-0.01) * g0[i]!));
              expect(one[i]).toBe(round(once + round(round(-0.01) * g0[i]!)));
            }
          }
        });
      }
    }
  });

  it("reductions and the softmax family give one thread's bits on two threads", () => {
    manualSeed(9);
    const x = randn([1000, 1003]);
    const bits = () =>
      scope(() =>
        [
          x.sum(),
          x.mean(),
          x.sum(0),
          x.mean(1),
          x.softmax(-1),
          x.logSoftmax(0),
          x.logSumExp(-1),
          tensor([sumOfSquares(x)], { dtype: 'float64' }),
        ].map((t) => Array.from(new Uint32Array(t.data().buffer))),
      );
    setThreads(1);
    const one = bits();
    setThreads(2);
    const two = bits();
    expect(two).toEqual(one);
    x.dispose();
  });

  it("softmax cross-entropy split by rows gives one thread's bits, forward and backward, recorded or not", () => {
    // [1024, 1001]: rows split evenly, C not a multiple of 4; [333, 257]: an odd row count (167 + 166)
    for (const [n, c] of [
      [1024, 1001],
      [333, 257],
    ] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        scope(() => {
          manualSeed(n + c);
          const x = randn([n, c], { dtype }).mul(4);
          const y = tensor(Int32Array.from({ length: n }, (_, i) => (i * 7919) % c));
          const g = randn([2, n], { dtype });
          const run = (threads: number, replayed: boolean) => {
            setThreads(threads);
            resetSplits();
            const step = () => {
              const out = softmaxCrossEntropy(x, y);
              return [out, softmaxCrossEntropyBackward(x, y, out, g)];
            };
            let result = step();
            if (replayed) {
              const r = record(step);
              r.replay();
              result = r.result.map((t) => keep(t));
              r.dispose();
            }
            // forward and backward each split on two threads (recorded once and replayed once: twice more)
            expect(splitStats().splits).toBe(threads === 2 ? (replayed ? 6 : 2) : 0);
            return result.map((t) => Buffer.from(t.data().buffer));
          };
          const [out1, dx1] = run(1, false);
          for (const replayed of [false, true]) {
            const [out2, dx2] = run(2, replayed);
            expect(out2!.equals(out1!), `[${n}, ${c}] ${dtype} forward${replayed ? ', replayed' : ''}`).toBe(true);
            expect(dx2!.equals(dx1!), `[${n}, ${c}] ${dtype} backward${replayed ? ', replayed' : ''}`).toBe(true);
          }
        });
      }
    }
    // below the threshold (8 × 1000 elements): one thread
    scope(() => {
      setThreads(2);
      resetSplits();
      softmaxCrossEntropy(randn([8, 1000]), tensor(new Int32Array(8)));
      expect(splitStats().splits).toBe(0);
    });
  });

  it('lstmSequence and its backward: one thread (W_hh packed once per sequence) gives the bits of two (each step’s product split)', async () => {
    await ready({ threads: 2 });
    // hidden 300: 4·300 = 1200 gate columns and a depth of 300 (1200 in the backward) span several
    // of the GEMM's column and depth blocks, so the packed layout's block offsets are exercised
    for (const dtype of ['float32', 'float64'] as const) {
      scope(() => {
        manualSeed(12);
        const [steps, n, H] = [3, 8, 300];
        const xg = randn([steps, n, 4 * H], { dtype });
        const w = randn([4 * H, H], { dtype }).mul(0.05);
        const [h0, c0] = [randn([n, H], { dtype }), randn([n, H], { dtype })];
        const gy = randn([2, steps, n, H], { dtype });
        const run = (threads: number) => {
          setThreads(threads);
          const y = lstmSequence(xg, w, h0, c0);
          const grads = lstmSequenceBackward(gy, w, h0, c0, y, false, { whh: true, h0: true, c0: true });
          return [y, ...grads].map((t) => Buffer.from(t!.data().buffer));
        };
        const one = run(1);
        const two = run(2);
        for (let i = 0; i < one.length; i++) expect(two[i]!.equals(one[i]!), `result ${i}, ${dtype}`).toBe(true);
      });
    }
  });

  it("fused attention forward and backward split by (batch, head) slices give one thread's bits", () => {
    // each case over the split threshold; 15 and 5 slices split unevenly
    const cases: Array<{ name: string; q: number[]; k: number[]; v: number[]; mask?: number[]; causal?: boolean; headsLast?: boolean }> = [
      { name: 'causal [B, H, L, E]', q: [3, 5, 64, 32], k: [3, 5, 64, 32], v: [3, 5, 64, 32], causal: true },
      // the GPT's head split: [B, T, H, E] read in place
      { name: 'causal, heads last', q: [4, 64, 4, 32], k: [4, 64, 4, 32], v: [4, 64, 4, 32], causal: true, headsLast: true },
      // L ≠ S, Ev ≠ E, more keys than a tile, a mask per batch broadcast over heads
      { name: 'masked [B, H, L, E]', q: [3, 5, 40, 24], k: [3, 5, 90, 24], v: [3, 5, 90, 16], mask: [3, 1, 40, 90] },
      { name: 'masked, heads last', q: [5, 40, 1, 32], k: [5, 100, 1, 32], v: [5, 100, 1, 32], mask: [40, 100], headsLast: true },
    ];
    const bits = (ts: Tensor[]) => ts.map((t) => Buffer.from(t.data().buffer));
    for (const dtype of ['float32', 'float64'] as const) {
      for (const c of cases) {
        scope(() => {
          manualSeed(c.q[0]! + c.k[2]!);
          const [q, k, v] = [c.q, c.k, c.v].map((s) => randn(s, { dtype })) as [Tensor, Tensor, Tensor];
          // a float mask with forbidden keys, never a whole row (key 0 always allowed)
          const size = (c.mask ?? []).reduce((a, b) => a * b, 1);
          const last = c.mask?.[c.mask.length - 1] ?? 1;
          const mask = c.mask
            ? tensor(
                Array.from({ length: size }, (_, i) =>
                  i % last !== 0 && (i * 7) % 5 === 0 ? Number.NEGATIVE_INFINITY : ((i * 13) % 7) / 7 - 0.5,
                ),
                { dtype },
              ).reshape(c.mask)
            : null;
          const options = { isCausal: c.causal ?? false, mask, headsLast: c.headsLast ?? false };
          const run = (threads: number) => {
            setThreads(threads);
            resetSplits();
            const out = fusedAttention(q, k, v, options);
            const dout = randn(out.shape, { dtype });
            const grads = fusedAttentionBackward(q, k, v, out, dout, options);
            // the forward and the backward were each split on two threads
            expect(splitStats().splits, c.name).toBe(threads === 2 ? 2 : 0);
            return [out, ...grads];
          };
          manualSeed(1);
          const one = run(1);
          manualSeed(1);
          const two = run(2);
          expect(same(bits(two), bits(one)), `${c.name} ${dtype}`).toBe(true);
          // and the output is attention's: softmax(q·kᵀ/√E + mask)·v, composed from matmul and softmax
          const heads = (t: Tensor) => (c.headsLast ? t.permute([0, 2, 1, 3]) : t);
          let scores = heads(q)
            .matmul(heads(k), { transposeB: true })
            .mul(1 / Math.sqrt(c.q[3]!));
          if (mask) scores = scores.add(mask);
          const t = c.headsLast ? 1 : 2;
          if (c.causal) scores = scores.add(triu(full([c.q[t]!, c.k[t]!], Number.NEGATIVE_INFINITY, dtype), 1));
          const want = heads(scores.softmax(-1).matmul(heads(v))).data();
          const got = one[0]!.data();
          let err = 0;
          for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
          expect(got.length).toBe(want.length);
          expect(err <= (dtype === 'float32' ? 1e-5 : 1e-12), `${c.name} ${dtype}: max error ${err}`).toBe(true);
        });
      }
    }
  });

  it('record() replays split attention bit-identically on one or two threads', () => {
    scope(() => {
      manualSeed(11);
      const [q, k, v] = [0, 1, 2].map(() => randn([4, 64, 4, 32]));
      const options = { isCausal: true, headsLast: true };
      const dout = randn([4, 64, 4, 32]);
      const step = () => {
        const out = fusedAttention(q!, k!, v!, options);
        return [out, ...fusedAttentionBackward(q!, k!, v!, out, dout, options)];
      };
      setThreads(1);
      const one = step().map((t) => Buffer.from(t.data().buffer));
      setThreads(2);
      const r = record(step);
      for (const threads of [2, 1, 2]) {
        setThreads(threads);
        resetSplits();
        for (const t of r.result) fillInPlace(t, 0);
        r.replay();
        expect(
          same(
            r.result.map((t) => Buffer.from(t.data().buffer)),
            one,
          ),
        ).toBe(true);
        expect(splitStats().splits).toBe(threads === 2 ? 2 : 0);
      }
      r.dispose();
    });
  });

  it("split attention gives one thread's bits on a loaded machine, whichever thread claims a slice", async () => {
    // two busy threads on top of the caller and its worker: the worker is descheduled now and then,
    // and the caller claims the slices it would have computed, or takes its whole part back
    await ready({ threads: 2 });
    const { Worker } = await import('node:worker_threads');
    const busy = [0, 1].map(() => new Worker('for (;;) {}', { eval: true }));
    try {
      scope(() => {
        manualSeed(12);
        const [q, k, v, dout] = [0, 1, 2, 3].map(() => randn([4, 64, 4, 32])) as [Tensor, Tensor, Tensor, Tensor];
        const options = { isCausal: true, headsLast: true };
        const step = () => {
          const out = fusedAttention(q, k, v, options);
          return [out, ...fusedAttentionBackward(q, k, v, out, dout, options)].map((t) => Buffer.from(t.data().buffer));
        };
        setThreads(1);
        const one = scope(step);
        setThreads(2);
        resetSplits();
        for (let i = 0; i < 40; i++) expect(same(scope(step), one)).toBe(true);
        // the first 16 splits are always made: a pause needs 16 slow ones
        expect(splitStats().splits).toBeGreaterThanOrEqual(16);
      });
    } finally {
      await Promise.all(busy.map((w) => w.terminate()));
    }
  });

  it('setThreads is bounded by the threads started', () => {
    expect(() => setThreads(3)).toThrow(/from 1 to 2/);
    expect(() => setThreads(0)).toThrow(ValueError);
    // a string that looks like a count says it is a string
    expect(() => setThreads('2' as unknown as number)).toThrow(/got string "2"$/);
    expect(() => setThreads(Number.NaN)).toThrow(/got NaN$/);
    expect(() => setThreads(undefined as unknown as number)).toThrow(/got undefined$/);
    expect(threadCount()).toBe(2);
  });
});
