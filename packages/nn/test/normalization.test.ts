import { gradcheck } from '@gd/autograd';
import { axpyInPlace, copyInto, manualSeed, memory, randn, record, StateError, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Embedding,
  Flatten,
  LayerNorm,
  Linear,
  loadSafetensors,
  MaxPool2d,
  parseSafetensors,
  ReLU,
  SafetensorsError,
  Sequential,
  saveSafetensors,
} from '../src/index.js';

const arr = (t: { data(): ArrayLike<number> }) => Array.from(t.data());
const near = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    expect(Math.abs(v - b[i]!)).toBeLessThan(tol);
  });
};

describe('BatchNorm', () => {
  it('BatchNorm1d train mode: batch statistics, running statistics by hand', () => {
    const bn = new BatchNorm1d(2);
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(bn.namedBuffers().map(([k]) => k)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    // channel 0: mean 2, biased var 1; channel 1: mean 4, biased var 4
    const y = bn.forward(x);
    const eps = 1e-5;
    near(arr(y.value), [-1 / Math.sqrt(1 + eps), -2 / Math.sqrt(4 + eps), 1 / Math.sqrt(1 + eps), 2 / Math.sqrt(4 + eps)]);
    // running ← 0.9·running + 0.1·batch, with the unbiased variances 2 and 8
    near(arr(bn.buffer('running_mean')), [0.2, 0.4]);
    near(arr(bn.buffer('running_var')), [1.1, 1.7]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(1);
    bn.forward(x);
    near(arr(bn.buffer('running_mean')), [0.38, 0.76]);
    near(arr(bn.buffer('running_var')), [1.19, 2.33]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(2);
  });

  it('a recorded training step replays the running statistics and the batch count', () => {
    // eager: four training steps on four batches; recorded: the first step recorded, then three
    // replays on the other batches copied in. Same statistics, count, outputs and gradients, bit for bit
    const run = (replayed: boolean) =>
      scope(() => {
        manualSeed(2);
        const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
        const batches = [0, 1, 2, 3].map(() => randn([6, 3]));
        const x = randn([6, 3]);
        const outs: number[] = [];
        const step = () => {
          const loss = model.forward(x).square().mean();
          loss.backward();
          return loss.value;
        };
        if (replayed) {
          copyInto(x, batches[0]!);
          const r = record(step);
          outs.push(r.result.item());
          for (const b of batches.slice(1)) {
            copyInto(x, b);
            r.replay();
            outs.push(r.result.item());
          }
          r.dispose();
        } else {
          for (const b of batches) {
            copyInto(x, b);
            for (const p of model.parameters()) p.zeroGrad();
            outs.push(scope(() => step().item()));
          }
        }
        const state = model.stateDict();
        const out = {
          outs,
          mean: arr(state['1.running_mean']!),
          variance: arr(state['1.running_var']!),
          count: arr(state['1.num_batches_tracked']!),
          grad: arr(model.parameters()[0]!.grad!),
        };
        model.dispose();
        return out;
      });
    const eager = run(false);
    const replayed = run(true);
    expect(replayed).toEqual(eager);
    expect(eager.count).toEqual([4]);
    // a cumulative average (momentum null) reads the count: refused while recording, by name
    scope(() => {
      const bn = new BatchNorm1d(2, { momentum: null });
      const x = randn([4, 2]);
      expect(() => record(() => bn.forward(x).value)).toThrow(StateError);
      expect(() => record(() => bn.forward(x).value)).toThrow(/BatchNorm1d: with momentum null/);
      bn.dispose();
    });
  });

  it('eval mode uses the running statistics and leaves them alone; affine parameters apply', () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    bn.forward(x);
    // momentum null: a cumulative average, so one batch sets the statistics outright
    near(arr(bn.buffer('running_mean')), [2, 4]);
    near(arr(bn.buffer('running_var')), [2, 8]);
    bn.weight!.value.bytesView().set(new Uint8Array(new Float32Array([2, 3]).buffer));
    bn.bias!.value.bytesView().set(new Uint8Array(new Float32Array([1, -1]).buffer));
    bn.eval();
    const y = bn.forward(tensor([[4, 4]]));
    near(arr(y.value), [((4 - 2) / Math.sqrt(2 + 1e-5)) * 2 + 1, ((4 - 4) / Math.sqrt(8 + 1e-5)) * 3 - 1]);
    near(arr(bn.buffer('running_mean')), [2, 4]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(1);
  });

  it('BatchNorm2d normalises each channel over batch and space; its gradient checks', () => {
    manualSeed(4);
    const bn = new BatchNorm2d(3);
    scope(() => {
      const x = randn([2, 3, 4, 5]).mul(3).add(1);
      const y = arr(bn.forward(x).value);
      for (let c = 0; c < 3; c++) {
        const vals: number[] = [];
        for (let n = 0; n < 2; n++) for (let i = 0; i < 20; i++) vals.push(y[(n * 3 + c) * 20 + i]!);
        const mean = vals.reduce((a, b) => a + b, 0) / 40;
        const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 40;
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(v).toBeCloseTo(1, 3);
      }
      const r = gradcheck(
        (a) =>
          bn
            .forward(a)
            .square()
            .mul(tensor([1, -2, 0.5]).reshape([1, 3, 1, 1])),
        [randn([2, 3, 2, 3])],
      );
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
    expect(() => bn.forward(randn([2, 4, 3, 3]))).toThrow(/3 channels on axis 1/);
    expect(() => bn.forward(randn([1, 3, 1, 1]))).toThrow(ValueError);
    expect(() => new BatchNorm1d(4, { momentum: 2 })).toThrow(/momentum/);
  });
});

describe('LayerNorm and Embedding', () => {
  it('LayerNorm: hand-computed values and a gradient check', () => {
    const ln = new LayerNorm(4);
    const y = ln.forward(tensor([[1, 2, 3, 4]]));
    const sd = Math.sqrt(1.25 + 1e-5);
    near(arr(y.value), [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
    manualSeed(5);
    scope(() => {
      const ln2 = new LayerNorm([2, 3]);
      const r = gradcheck(
        (a) =>
          ln2
            .forward(a)
            .square()
            .mul(
              tensor([
                [1, 2, 3],
                [-1, 0.5, 2],
              ]),
            ),
        [randn([4, 2, 3])],
      );
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
    expect(new LayerNorm(3, { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(() => ln.forward(tensor([[1, 2, 3]]))).toThrow(/does not end in the normalized shape \[4\]/);
  });

  it('Embedding looks rows up and adds the gradients of repeated indices', () => {
    manualSeed(6);
    const emb = new Embedding(4, 2);
    const y = emb.forward(tensor([[1, 2, 1]], { dtype: 'int32' }));
    expect(y.shape).toEqual([1, 3, 2]);
    const w = arr(emb.weight.value);
    expect(arr(y.value)).toEqual([w[2], w[3], w[4], w[5], w[2], w[3]]);
    y.mul(
      tensor([
        [
          [1, 10],
          [100, 1000],
          [3, 30],
        ],
      ]),
    )
      .sum()
      .backward();
    expect(arr(emb.weight.grad!)).toEqual([0, 0, 4, 40, 100, 1000, 0, 0]);
    expect(() => emb.forward(tensor([4], { dtype: 'int32' }))).toThrow();
    expect(() => emb.forward(tensor([1.5]))).toThrow(/int32/);
    expect(emb.forward([[0, 3]]).shape).toEqual([1, 2, 2]);
  });
});

/**
 * A safetensors file as the reference writer (safetensors.torch.save_file) lays it out, written
 * here independently of gd's writer: tensors ordered by dtype, widest first (I64 before F32, so
 * each starts aligned), then by name; their data in that order; the header is compact JSON with
 * __metadata__ first and then { dtype, shape, data_offsets } per tensor in the same order,
 * padded with spaces to a multiple of 8 bytes, after its length as a little-endian u64.
 */
function torchSaveFile(
  tensors: Array<{ name: string; dtype: 'F32' | 'I64'; shape: number[]; values: number[] }>,
  metadata: Record<string, string>,
): Uint8Array {
  const order = [...tensors].sort((a, b) => (a.dtype === b.dtype ? (a.name < b.name ? -1 : 1) : a.dtype === 'I64' ? -1 : 1));
  let offset = 0;
  const parts = [`"__metadata__":${JSON.stringify(metadata)}`];
  const chunks: Uint8Array[] = [];
  for (const t of order) {
    const bytes = new Uint8Array(t.values.length * (t.dtype === 'I64' ? 8 : 4));
    const view = new DataView(bytes.buffer);
    t.values.forEach((v, i) => {
      if (t.dtype === 'I64') view.setBigInt64(i * 8, BigInt(v), true);
      else view.setFloat32(i * 4, v, true);
    });
    parts.push(`"${t.name}":{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    offset += bytes.length;
    chunks.push(bytes);
  }
  let json = `{${parts.join(',')}}`;
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('buffers in state dicts and safetensors', () => {
  const make = () =>
    new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 5 * 5, 3));

  it('a trained model round-trips with its buffers under PyTorch keys, num_batches_tracked as I64', () => {
    manualSeed(7);
    const net = make();
    const x = randn([4, 1, 12, 12]);
    scope(() => {
      net.forward(x);
      net.forward(x);
    });
    expect(Object.keys(net.stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
      '5.weight',
      '5.bias',
    ]);
    const bytes = saveSafetensors(net);
    const parsed = parseSafetensors(bytes);
    const nbt = parsed.tensors.get('1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.shape).toEqual([]);
    expect(new DataView(nbt.bytes.buffer, nbt.bytes.byteOffset, 8).getBigInt64(0, true)).toBe(2n);
    const copy = make();
    loadSafetensors(copy, bytes);
    expect(copy.buffers().map(arr)).toEqual(net.buffers().map(arr));
    net.eval();
    copy.eval();
    scope(() => expect(arr(copy.forward(x).value)).toEqual(arr(net.forward(x).value)));
    // loadStateDict copies buffers too
    const third = make();
    third.loadStateDict(net.stateDict());
    expect(arr((third as unknown as { 1: BatchNorm2d })[1].buffer('running_var'))).toEqual(
      arr((net as unknown as { 1: BatchNorm2d })[1].buffer('running_var')),
    );
  });

  it("loads a file written as PyTorch's save_file(model.state_dict()) writes it; eval outputs match a plain-JS forward", () => {
    // The state of torch.nn.Sequential(Conv2d(1, 4, 3), BatchNorm2d(4), ReLU(), MaxPool2d(2),
    // Flatten(), Linear(100, 3)) after some training: float32 numbers, num_batches_tracked 123.
    const val = (k: number, s: number) => Math.fround(Math.sin(k * 1.37 + s) * 0.6);
    const f32 = (n: number, s: number, map = (v: number) => v) => Array.from({ length: n }, (_, k) => Math.fround(map(val(k, s))));
    const state = {
      '0.weight': { shape: [4, 1, 3, 3], v: f32(36, 1) },
      '0.bias': { shape: [4], v: f32(4, 2) },
      '1.weight': { shape: [4], v: f32(4, 3, (v) => 1 + v) },
      '1.bias': { shape: [4], v: f32(4, 4) },
      '1.running_mean': { shape: [4], v: f32(4, 5) },
      '1.running_var': { shape: [4], v: f32(4, 6, (v) => 0.5 + Math.abs(v)) },
      '5.weight': { shape: [3, 100], v: f32(300, 7, (v) => v * 0.3) },
      '5.bias': { shape: [3], v: f32(3, 8) },
    };
    const file = torchSaveFile(
      [
        ...Object.entries(state).map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, values: t.v })),
        { name: '1.num_batches_tracked', dtype: 'I64' as const, shape: [], values: [123] },
      ],
      { format: 'pt' },
    );
    // what the reference writer puts first: the 8-byte length, then the header, I64 data first
    const n = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(file.subarray(8, 8 + n));
    expect(
      header.startsWith(
        '{"__metadata__":{"format":"pt"},"1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"0.bias":',
      ),
    ).toBe(true);
    expect(header.trimEnd().endsWith('"5.weight":{"dtype":"F32","shape":[3,100],"data_offsets":[244,1444]}}')).toBe(true);

    const net = make();
    expect(loadSafetensors(net, file)).toEqual({ format: 'pt' });
    expect((net as unknown as { 1: BatchNorm2d })[1].buffer('num_batches_tracked').item()).toBe(123);
    // gd writes the same state as the same bytes
    expect(saveSafetensors(net, { metadata: { format: 'pt' } })).toEqual(file);

    // the eval-mode forward, written out in float64 from the same numbers
    manualSeed(10);
    const x = randn([2, 1, 12, 12]);
    const xd = arr(x);
    const S = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.v])) as Record<keyof typeof state, number[]>;
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      const pooled: number[] = [];
      for (let c = 0; c < 4; c++) {
        const act = (i: number, j: number) => {
          let y = S['0.bias'][c]!;
          for (let a = 0; a < 3; a++)
            for (let e = 0; e < 3; e++) y += S['0.weight'][c * 9 + a * 3 + e]! * xd[b * 144 + (i + a) * 12 + j + e]!;
          const z = ((y - S['1.running_mean'][c]!) / Math.sqrt(S['1.running_var'][c]! + 1e-5)) * S['1.weight'][c]! + S['1.bias'][c]!;
          return Math.max(z, 0);
        };
        for (let i = 0; i < 5; i++)
          for (let j = 0; j < 5; j++)
            pooled.push(Math.max(act(2 * i, 2 * j), act(2 * i, 2 * j + 1), act(2 * i + 1, 2 * j), act(2 * i + 1, 2 * j + 1)));
      }
      for (let k = 0; k < 3; k++) expected.push(pooled.reduce((s, v, f) => s + v * S['5.weight'][k * 100 + f]!, S['5.bias'][k]!));
    }
    net.eval();
    const worst = (got: number[]) => Math.max(...got.map((v, i) => Math.abs(v - expected[i]!))) / Math.max(...expected.map(Math.abs));
    scope(() => {
      expect(worst(arr(net.forward(x).value))).toBeLessThan(1e-5);
      // converted as PyTorch's model.double(), the same model agrees to float64 rounding
      net.to('float64');
      expect(worst(arr(net.forward(x.cast('float64')).value))).toBeLessThan(1e-13);
    });
    net.dispose();
  });

  it('an I64 count outside the int32 range is refused, and the model is left as it was', () => {
    manualSeed(8);
    const net = make();
    const bytes = saveSafetensors(net);
    const e = parseSafetensors(bytes).tensors.get('1.num_batches_tracked')!;
    new DataView(e.bytes.buffer, e.bytes.byteOffset, 8).setBigInt64(0, 2n ** 40n, true);
    const target = make();
    const before = target.stateDict()['0.weight']!.data();
    expect(() => loadSafetensors(target, bytes)).toThrow(SafetensorsError);
    expect(() => loadSafetensors(target, bytes)).toThrow(/1099511627776 at element 0, outside the int32 range/);
    expect(arr(target.stateDict()['0.weight']!)).toEqual(Array.from(before));
    // the int32 range's ends load; one past either end is refused
    for (const [count, ok] of [
      [2n ** 31n - 1n, true],
      [-(2n ** 31n), true],
      [2n ** 31n, false],
      [-(2n ** 31n) - 1n, false],
    ] as const) {
      new DataView(e.bytes.buffer, e.bytes.byteOffset, 8).setBigInt64(0, count, true);
      if (ok) {
        loadSafetensors(target, bytes);
        expect((target as unknown as { 1: BatchNorm2d })[1].buffer('num_batches_tracked').item()).toBe(Number(count));
      } else expect(() => loadSafetensors(target, bytes)).toThrow(new RegExp(`'1.num_batches_tracked' holds ${count} at element 0`));
    }
  });

  it('memory stays flat over 1,000 CNN training steps with BatchNorm', () => {
    manualSeed(9);
    const net = make();
    const x = randn([4, 1, 12, 12]);
    const target = randn([4, 3]);
    const step = () =>
      scope(() => {
        const loss = net.forward(x).sub(target).square().mean();
        loss.backward();
        for (const p of net.parameters()) {
          axpyInPlace(p.value, p.grad!, -0.01);
          p.zeroGrad();
        }
      });
    step();
    const before = memory();
    for (let i = 0; i < 1000; i++) step();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    expect((net as unknown as { 1: BatchNorm2d })[1].buffer('num_batches_tracked').item()).toBe(1001);
  });
});

describe('num_batches_tracked does not wrap', () => {
  it('counts up to 2^31 − 1 and stays there (int32 + 1 wrapped to −2^31)', () => {
    const bn = new BatchNorm1d(2);
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    const count = bn.buffer('num_batches_tracked');
    copyInto(count, tensor(2147483646, { dtype: 'int32' }));
    scope(() => bn.forward(x));
    expect(count.item()).toBe(2147483647);
    scope(() => bn.forward(x));
    expect(count.item()).toBe(2147483647);
    expect(count.dtype).toBe('int32');
    // the running statistics still update: two batches of mean [2, 4] from 0 give (1 − 0.9²)·[2, 4]
    near(arr(bn.buffer('running_mean')), [2 * (1 - 0.81), 4 * (1 - 0.81)]);
    // a cumulative average (momentum null) at the cap weighs a batch by 1/(2^31 − 1)
    const cumulative = new BatchNorm1d(2, { momentum: null });
    copyInto(cumulative.buffer('num_batches_tracked'), tensor(2147483647, { dtype: 'int32' }));
    scope(() => cumulative.forward(x));
    expect(cumulative.buffer('num_batches_tracked').item()).toBe(2147483647);
    near(arr(cumulative.buffer('running_mean')), [2 / 2147483647, 4 / 2147483647], 1e-12);
  });
});
