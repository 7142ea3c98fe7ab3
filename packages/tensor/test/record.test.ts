import { describe, expect, it } from 'vitest';
import {
  axpyInPlace,
  copyInto,
  DisposedError,
  gather,
  IndexError,
  keep,
  matmul,
  memory,
  Recording,
  randn,
  record,
  StateError,
  scope,
  sumOfSquares,
  tensor,
  ValueError,
  valueCheck,
} from '../src/index.js';

const bits = (a: Float32Array | Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('record() and replay()', () => {
  it('replays the recorded kernels on the tensors as they are now', () => {
    const w = tensor([1, 2]);
    const r = record(() => w.mul(w).sum());
    expect(r).toBeInstanceOf(Recording);
    expect(r.result.item()).toBe(5);
    copyInto(w, tensor([3, 4]));
    r.replay();
    expect(r.result.item()).toBe(25);
    expect(r.length).toBeGreaterThan(0);
    r.result.dispose();
    r.dispose();
    w.dispose();
  });

  it('gives the eager result bit for bit over many steps, with memory flat', () => {
    // a small MLP-like forward with broadcasting, a reduction, a matmul and a plan-written op
    const x = randn([16, 8]);
    const w = randn([8, 4]);
    const b = randn([4]);
    const f = () => matmul(x, w).add(b).relu().sub(0.5).square().mean(0);
    const w0 = w.clone();
    const step = (i: number) => scope(() => axpyInPlace(w, tensor(updateOf(i), { shape: [8, 4] }), 0.01));
    const eager: Float32Array[] = [];
    for (let i = 0; i < 5; i++) {
      eager.push(scope(() => f().data() as Float32Array));
      step(i);
    }
    copyInto(w, w0);
    const r = record(f);
    const replayed = [r.result.data() as Float32Array];
    step(0);
    const before = memory();
    for (let i = 1; i < 5; i++) {
      r.replay();
      replayed.push(r.result.data() as Float32Array);
      step(i);
    }
    const after = memory();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.tensors).toBe(before.tensors);
    for (let i = 0; i < 5; i++) expect(bits(replayed[i]!).equals(bits(eager[i]!))).toBe(true);
    r.result.dispose();
    r.dispose();
    for (const t of [x, w, b, w0]) t.dispose();
  });

  it('frees what it holds on dispose, and holds the temporaries until then', () => {
    const x = tensor([1, 2, 3]);
    const start = memory().bytesInUse;
    const tensors = memory().tensors;
    const r = record(() => x.add(1).mul(2).sum());
    // the temporaries (x + 1, its product) are disposed but held: no block is reused while r lives
    const held = memory().bytesInUse;
    expect(held).toBeGreaterThan(start + 16);
    expect(memory().tensors).toBe(tensors + 1); // the result
    r.dispose();
    r.dispose(); // twice is safe
    expect(r.isDisposed).toBe(true);
    expect(memory().bytesInUse).toBe(start + 16); // the result's block alone
    expect(r.result.item()).toBe(18);
    r.result.dispose();
    expect(memory().bytesInUse).toBe(start);
    expect(() => r.replay()).toThrow(DisposedError);
    x.dispose();
  });

  it('a held temporary is not reused by later allocations', () => {
    const x = tensor([1, 2, 3, 4]);
    const r = record(() => x.add(1).mul(2).sum());
    // new tensors of the temporaries' size get other blocks: replay must not overwrite them
    const others = [tensor([9, 9, 9, 9]), tensor([8, 8, 8, 8])];
    r.replay();
    expect(others[0]!.toArray()).toEqual([9, 9, 9, 9]);
    expect(others[1]!.toArray()).toEqual([8, 8, 8, 8]);
    expect(r.result.item()).toBe(28);
    for (const t of others) t.dispose();
    r.result.dispose();
    r.dispose();
    x.dispose();
  });

  it('refuses to replay once a tensor it reads was disposed', () => {
    const x = tensor([1, 2]);
    const r = record(() => x.mul(3));
    x.dispose();
    expect(() => r.replay()).toThrow(DisposedError);
    expect(() => r.replay()).toThrow(/replay: tensor \[2\] float32, read by the recorded function, was disposed/);
    r.result.dispose();
    r.dispose();
  });

  it('is a StateError to read tensor values while recording, and frees what it made', () => {
    const x = tensor([1, 2]);
    const start = memory();
    expect(() => record(() => x.mul(2).item())).toThrow(ValueError); // two elements: item's own error first
    expect(() => record(() => x.sum().item())).toThrow(StateError);
    expect(() => record(() => x.sum().item())).toThrow(/record: item\(\) read a tensor while recording/);
    expect(() => record(() => x.mul(2).data())).toThrow(StateError);
    expect(() => record(() => sumOfSquares(x))).toThrow(/sum_squares_f32 returned a value to JavaScript/);
    expect(memory().bytesInUse).toBe(start.bytesInUse);
    expect(memory().tensors).toBe(start.tensors);
    // reads are fine again afterwards
    expect(x.sum().item()).toBe(3);
    x.dispose();
  });

  it('checks its arguments and does not nest', () => {
    expect(() => record(42 as never)).toThrow(ValueError);
    expect(() => record(() => record(() => 1))).toThrow(StateError);
    const r = record(() => 1);
    expect(() => record(() => r.replay())).toThrow(/cannot replay inside record/);
    r.dispose();
  });

  it('replays value checks: a gather whose indices go out of range throws the same IndexError', () => {
    const x = tensor([10, 20, 30]);
    const idx = tensor([0, 2], { dtype: 'int32' });
    const r = record(() => gather(x, idx));
    expect(r.result.toArray()).toEqual([10, 30]);
    copyInto(idx, tensor([2, 1], { dtype: 'int32' }));
    r.replay();
    expect(r.result.toArray()).toEqual([30, 20]);
    copyInto(idx, tensor([3, 1], { dtype: 'int32' }));
    expect(() => r.replay()).toThrow(IndexError);
    expect(() => r.replay()).toThrow(/gather: index 3 at position 0 is out of range/);
    r.result.dispose();
    r.dispose();
    for (const t of [x, idx]) t.dispose();
  });

  it('valueCheck runs now and on every replay', () => {
    const p = tensor([0.5, 0.25]);
    let runs = 0;
    const r = record(() => {
      valueCheck([p], (d) => {
        runs++;
        if (d.some((v) => v > 1)) throw new ValueError('above 1');
      });
      return keep(p.mul(2));
    });
    expect(runs).toBe(1);
    r.replay();
    expect(runs).toBe(2);
    copyInto(p, tensor([0.5, 2]));
    expect(() => r.replay()).toThrow(/above 1/);
    expect(() => valueCheck(p as never, () => {})).toThrow(ValueError);
    r.result.dispose();
    r.dispose();
    p.dispose();
  });
});

function updateOf(i: number): number[] {
  // a deterministic update of w, [8, 4] flat
  return Array.from({ length: 32 }, (_, k) => Math.sin(i * 31 + k));
}
