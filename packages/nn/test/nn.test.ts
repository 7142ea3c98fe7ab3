import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { variable } from '@gd/autograd';
import { manualSeed, memory, ones, randn, ShapeError, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dropout,
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

const values = (m: { parameters(): { value: { data(): ArrayLike<number> } }[] }) =>
  m.parameters().map((p) => Array.from(p.value.data()));

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
      () => handBuilt({ ...spec, '0.bias': { dtype: 'F16', shape: [2], data_offsets: [8, 12] } }, [0.5, -1.5, 0.25]),
      /'0.bias' has dtype F16; the model needs F32/,
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
      const bytesInUse = memory().bytesInUse;
      let caught: unknown;
      try {
        loadSafetensors(m, make());
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SafetensorsError);
      expect((caught as Error).message).toMatch(message);
      expect(values(m)).toEqual(before);
      expect(memory().bytesInUse).toBe(bytesInUse);
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
