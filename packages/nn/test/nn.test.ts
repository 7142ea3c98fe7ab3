import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { variable } from '@gd/autograd';
import { GdError, manualSeed, memory, ones, randn, ShapeError, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  Dropout,
  decodeBF16,
  decodeF16,
  GELU,
  init,
  Linear,
  loadSafetensors,
  mlp,
  parseSafetensors,
  ReLU,
  SafetensorsError,
  Sequential,
  saveSafetensors,
} from '../src/index.js';
import { loadSafetensorsFile, saveSafetensorsFile } from '../src/node.js';

const fails = failsWith(memory, GdError);
const values = (m: { parameters(): { value: { data(): ArrayLike<number> } }[] }) => m.parameters().map((p) => Array.from(p.value.data()));

describe('modules', () => {
  it('Sequential names parameters with dotted paths and runs layers in order', () => {
    manualSeed(0);
    const model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    expect(model.namedParameters().map(([k, p]) => `${k}:${p.shape.join('x')}`)).toEqual([
      '0.weight:3x4',
      '0.bias:3',
      '2.weight:2x3',
      '2.bias:2',
    ]);
    scope(() => {
      const x = randn([5, 4]);
      const [w0, b0, w1, b1] = model.parameters();
      const manual = x.matmul(w0!.value.T).add(b0!.value).relu().matmul(w1!.value.T).add(b1!.value);
      expect(Array.from(model.forward(x).value.data())).toEqual(Array.from(manual.data()));
    });
  });
  it('Linear uses PyTorch’s default init: U(−1/√in, 1/√in) for weight and bias', () => {
    manualSeed(1);
    const l = new Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    for (const p of l.parameters()) {
      const d = Array.from(p.value.data());
      expect(Math.max(...d)).toBeLessThanOrEqual(bound);
      expect(Math.min(...d)).toBeGreaterThanOrEqual(-bound);
    }
    const w = Array.from(l.weight.value.data());
    // a uniform on [−b, b] has variance b²/3
    expect(w.reduce((s, v) => s + v * v, 0) / w.length).toBeCloseTo(bound ** 2 / 3, 4);
  });
  it('init: xavier and kaiming scales, constants', () => {
    manualSeed(2);
    const t = variable(ones([200, 100]));
    init.xavierNormal(t);
    const d = Array.from(t.value.data());
    const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 300), 2);
    init.kaimingNormal(t, { nonlinearity: 'relu' });
    const k = Array.from(t.value.data());
    expect(Math.sqrt(k.reduce((s, v) => s + v * v, 0) / k.length)).toBeCloseTo(Math.sqrt(2 / 100), 2);
    init.constant(t, 0.5);
    expect(new Set(t.value.data()).size).toBe(1);
  });
  it('train/eval switches Dropout; dropout is seeded and rescales', () => {
    const d = new Dropout(0.5);
    manualSeed(3);
    const a = scope(() => Array.from(d.forward(ones([1000])).value.data()));
    manualSeed(3);
    const b = scope(() => Array.from(d.forward(ones([1000])).value.data()));
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([0, 2]));
    expect(a.filter((v) => v === 0).length).toBeGreaterThan(400);
    d.eval();
    expect(scope(() => Array.from(d.forward(ones([4])).value.data()))).toEqual([1, 1, 1, 1]);
  });
  it('loadStateDict checks names and shapes before writing anything', () => {
    const m = mlp([3, 2]);
    const before = values(m);
    expect(() =>
      m.loadStateDict({
        '0.weight': tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      }),
    ).toThrow(/missing \[0.bias\]/);
    expect(() =>
      m.loadStateDict({
        '0.weight': tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        '0.bias': tensor([1, 2, 3]),
      }),
    ).toThrow(ShapeError);
    expect(values(m)).toEqual(before);
    m.loadStateDict({
      '0.weight': tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      '0.bias': tensor([7, 8]),
    });
    expect(values(m)).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8],
    ]);
  });
  it('mlp validates its sizes', () => {
    expect(() => mlp([3])).toThrow(ValueError);
    expect(() => new Linear(0, 2)).toThrow(/inFeatures must be a positive integer/);
  });
});

/** A safetensors file built by hand from the spec, independent of saveSafetensors. */
function handBuilt(header: object, data: number[], pad = true): Uint8Array {
  let json = JSON.stringify(header);
  if (pad) json += ' '.repeat((8 - (json.length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + h.length + data.length * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, h.length, true); // low word of the u64 length; the high word stays 0
  bytes.set(h, 8);
  for (const [i, v] of data.entries()) view.setFloat32(8 + h.length + i * 4, v, true);
  return bytes;
}

describe('GELU', () => {
  // torch.nn.GELU(approximate=…) in float64 at these points, values and d/dx (torch 1.13)
  const xs = [-3, -1, -0.5, 0, 0.5, 1, 2.5];
  const torchGelu = {
    none: {
      y: [-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0, 0.34573123063700656, 0.841344746068543, 2.4844758366855597],
      dy: [-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.5, 0.8674951246561629, 1.0833154705876864, 1.037611085908145],
    },
    tanh: {
      y: [
        -0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 2.484915733910001,
      ],
      dy: [
        -0.011584166630969648, -0.08296408384578252, 0.13263009646535764, 0.5, 0.8673699035346424, 1.0829640838457826, 1.037951576212666,
      ],
    },
  };
  for (const approximate of ['none', 'tanh'] as const) {
    it(`GELU({ approximate: '${approximate}' }) matches PyTorch's nn.GELU, values and gradient`, () => {
      scope(() => {
        const x = variable(tensor(xs, { dtype: 'float64' }));
        const m = approximate === 'none' ? new GELU() : new GELU({ approximate });
        expect(m.approximate).toBe(approximate);
        const y = m.forward(x);
        y.sum().backward();
        const want = torchGelu[approximate];
        const err = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i]! - v)));
        expect(err(y.value.data(), want.y) <= 1e-15).toBe(true);
        expect(err(x.grad!.data(), want.dy) <= 1e-14).toBe(true);
      });
    });
  }
  it('mlp with gelu uses the exact form; a bad form is a ValueError', () => {
    expect(mlp([2, 3, 1], { activation: 'gelu' }).layers[1]).toMatchObject({ approximate: 'none' });
    fails(() => new GELU({ approximate: 'erf' as 'tanh' }), ValueError, /GELU: approximate must be 'none' or 'tanh', got "erf"/);
  });
});

describe('safetensors', () => {
  const spec = {
    '0.weight': { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
    '0.bias': { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  };

  it('exact round trip, sorted names, 8-byte aligned data, metadata kept', () => {
    manualSeed(4);
    const a = mlp([5, 4, 3]);
    const bytes = saveSafetensors(a, { metadata: { format: 'pt' } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(Object.keys(header)).toEqual(['__metadata__', '0.bias', '0.weight', '2.bias', '2.weight']);
    const b = mlp([5, 4, 3]);
    expect(loadSafetensors(b, bytes)).toEqual({ format: 'pt' });
    expect(values(b)).toEqual(values(a));
  });
  it('a hand-built file from the spec loads (unpadded header too)', () => {
    for (const pad of [true, false]) {
      const m = mlp([2, 1]);
      loadSafetensors(m, handBuilt(spec, [0.5, -1.5, 0.25], pad));
      expect(values(m)).toEqual([[0.5, -1.5], [0.25]]);
    }
  });
  const bad: Array<[string, () => Uint8Array, RegExp]> = [
    ['truncated', () => handBuilt(spec, [0.5, -1.5, 0.25]).subarray(0, 30), /truncated/],
    ['too short', () => new Uint8Array(5), /too short/],
    [
      'bad JSON',
      () => {
        const b = handBuilt(spec, [0.5, -1.5, 0.25]);
        b[9] = 0x7b;
        b[10] = 0x7b;
        return b;
      },
      /not valid UTF-8 JSON/,
    ],
    [
      'wrong dtype',
      () => handBuilt({ ...spec, '0.bias': { dtype: 'I16', shape: [2], data_offsets: [8, 12] } }, [0.5, -1.5, 0.25]),
      /'0.bias' has dtype I16; F64 \(float64\) or F32, F16, BF16 \(float32\) can be loaded/,
    ],
    [
      'wrong shape',
      () => handBuilt({ ...spec, '0.weight': { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] } }, [0.5, -1.5, 0.25]),
      /'0.weight' has shape \[2,1\]; the model needs \[1,2\]/,
    ],
    ['missing name', () => handBuilt({ '0.weight': spec['0.weight'] }, [0.5, -1.5]), /missing \[0.bias\]/],
    [
      'offsets that disagree with the shape',
      () => handBuilt({ ...spec, '0.bias': { dtype: 'F32', shape: [1], data_offsets: [8, 16] } }, [0.5, -1.5, 0.25, 0]),
      /needs 4 bytes; data_offsets give 8/,
    ],
    [
      'a hole in the data',
      () => handBuilt({ ...spec, '0.bias': { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, [0.5, -1.5, 9, 0.25]),
      /starts at 12; expected 8/,
    ],
  ];
  for (const [name, make, message] of bad) {
    it(`rejects a file with ${name} and leaves the model unchanged`, () => {
      const m = mlp([2, 1]);
      const before = values(m);
      const file = make();
      fails(() => loadSafetensors(m, file), SafetensorsError, message);
      expect(values(m)).toEqual(before);
    });
  }
  it('parseSafetensors reads other dtypes it does not load', () => {
    const p = parseSafetensors(handBuilt({ x: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, [0]));
    expect(p.tensors.get('x')!.dtype).toBe('I32');
  });
  it('the Node helpers save atomically (no temporary left behind) and load back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gd-nn-'));
    const path = join(dir, 'model.safetensors');
    const a = mlp([3, 2]);
    await saveSafetensorsFile(path, a);
    await saveSafetensorsFile(path, a);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    const b = mlp([3, 2]);
    await loadSafetensorsFile(b, path);
    expect(values(b)).toEqual(values(a));
    expect(existsSync(path) && readFileSync(path).length).toBe(saveSafetensors(a).length);
  });
});

describe('float64 models', () => {
  const F64 = { dtype: 'float64' } as const;
  it('layers take { dtype }: the same seed gives the float32 draws unrounded', () => {
    manualSeed(4);
    const a = new Linear(5, 3);
    manualSeed(4);
    const b = new Linear(5, 3, F64);
    expect(b.weight.dtype).toBe('float64');
    expect(b.bias!.dtype).toBe('float64');
    // U(−k, k) is lo + (hi − lo)·u on the same u, rounded once in float32
    const wa = a.weight.value.data();
    for (const [i, v] of b.weight.value.data().entries()) expect(Math.abs(v - wa[i]!)).toBeLessThan(1e-7);
    expect(Array.from(b.weight.value.data()).some((v) => v !== Math.fround(v))).toBe(true);
    const net = mlp([2, 4, 1], F64);
    expect(net.dtype).toBe('float64');
    expect(net.forward(tensor([[0.1, 0.2]], F64)).dtype).toBe('float64');
    expect(() => new Linear(2, 2, { dtype: 'int32' as never })).toThrow(/Linear: dtype int32 is not float32 or float64/);
    for (const m of [a, b, net]) m.dispose();
  });

  it('to() converts every parameter in place and returns the module; gradients follow', () => {
    manualSeed(5);
    const net = mlp([3, 4, 2]);
    const before = values(net);
    const names = net.namedParameters().map(([k]) => k);
    const live = memory().tensors;
    expect(net.to('float64')).toBe(net);
    expect(net.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    expect(net.namedParameters().map(([k]) => k)).toEqual(names);
    expect(values(net)).toEqual(before);
    expect(memory().tensors).toBe(live);
    scope(() => {
      net
        .forward(tensor([[0.1, -0.2, 0.3]], F64))
        .sum()
        .backward();
      for (const p of net.parameters()) expect(p.grad!.dtype).toBe('float64');
    });
    net.to('float32');
    expect(net.dtype).toBe('float32');
    expect(values(net)).toEqual(before);
    expect(() => net.to('int32' as never)).toThrow(/to: dtype int32 is not float32 or float64/);
    net.dispose();
  });

  it('loadStateDict takes a float64 state into a float64 model and says clearly when dtypes differ', () => {
    manualSeed(6);
    const src = mlp([2, 3, 1], F64);
    const dst = mlp([2, 3, 1], F64);
    dst.loadStateDict(src.stateDict());
    expect(values(dst)).toEqual(values(src));
    const f32 = mlp([2, 3, 1]);
    const keep32 = values(f32);
    expect(() => f32.loadStateDict(src.stateDict())).toThrow(
      /loadStateDict: '0.weight' is float64; the parameter is float32 \(convert the model with to\('float64'\) or the state with cast\('float32'\)\)/,
    );
    expect(values(f32)).toEqual(keep32);
    for (const m of [src, dst, f32]) m.dispose();
  });

  it('safetensors: F64 round trip keeps every bit; F32 files do not load into a float64 model', () => {
    manualSeed(7);
    const model = mlp([3, 5, 2], F64);
    const bytes = saveSafetensors(model);
    const parsed = parseSafetensors(bytes);
    expect([...parsed.tensors.values()].map((e) => e.dtype)).toEqual(['F64', 'F64', 'F64', 'F64']);
    const again = mlp([3, 5, 2], F64);
    loadSafetensors(again, bytes);
    for (const [[, p], [, q]] of again.namedParameters().map((e, i) => [e, model.namedParameters()[i]!] as const)) {
      const a = p.value.data() as Float64Array;
      const b = q.value.data() as Float64Array;
      expect(new Uint8Array(a.buffer)).toEqual(new Uint8Array(b.buffer));
    }
    const f32 = mlp([3, 5, 2]);
    expect(() => loadSafetensors(again, saveSafetensors(f32))).toThrow(
      /loadSafetensors: '0.weight' has dtype F32, which loads as float32; the model holds float64 there \(convert the model with to\('float32'\) first\)/,
    );
    for (const m of [model, again, f32]) m.dispose();
  });

  it('safetensors: F16 and BF16 decode into float32 against known bit patterns', () => {
    // F16: 0x3c00 = 1, 0xc000 = −2, 0x3555 = 0.333251953125, 0x0001 = 2⁻²⁴ (smallest subnormal),
    // 0x7bff = 65504 (largest), 0x7c00 = +∞, 0x8000 = −0
    expect([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x7c00].map(decodeF16)).toEqual([1, -2, 0.333251953125, 2 ** -24, 65504, Infinity]);
    expect(Object.is(decodeF16(0x8000), -0)).toBe(true);
    expect(decodeF16(0x7e00)).toBeNaN();
    // BF16: 0x3f80 = 1, 0xc049 = −3.140625, 0x3eab = 0.333984375, 0x7f80 = +∞
    expect([0x3f80, 0xc049, 0x3eab, 0x7f80].map(decodeBF16)).toEqual([1, -3.140625, 0.333984375, Infinity]);
    // a file as PyTorch writes a half-precision Linear(2, 1): weight F16, bias BF16
    const header = JSON.stringify({
      '0.bias': { dtype: 'BF16', shape: [1], data_offsets: [0, 2] },
      '0.weight': { dtype: 'F16', shape: [1, 2], data_offsets: [2, 6] },
    });
    const json = new TextEncoder().encode(header);
    const file = new Uint8Array(8 + json.length + 6);
    const view = new DataView(file.buffer);
    view.setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    const at = 8 + json.length;
    view.setUint16(at, 0xc049, true);
    view.setUint16(at + 2, 0x3c00, true);
    view.setUint16(at + 4, 0x3555, true);
    const model = new Sequential(new Linear(2, 1));
    loadSafetensors(model, file);
    expect(model.stateDict()['0.weight']!.dtype).toBe('float32');
    expect(Array.from(model.stateDict()['0.weight']!.data())).toEqual([1, 0.333251953125]);
    expect(Array.from(model.stateDict()['0.bias']!.data())).toEqual([-3.140625]);
    model.dispose();
  });
});
