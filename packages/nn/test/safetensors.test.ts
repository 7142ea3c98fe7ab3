import { Buffer } from 'node:buffer';
import { manualSeed, tensor, ValueError } from '@gd/tensor';
import { thrown } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { Linear, loadSafetensors, type Module, parseSafetensors, SafetensorsError, saveSafetensors } from '../src/index.js';
import { loadSteps } from '../src/safetensors.js';

const values = (m: Module) => m.parameters().map((p) => Array.from(p.value.data()));

/** `bytes` copied into a larger buffer at `offset`, returned as the subarray that holds them. */
function embedded(bytes: Uint8Array, offset: number): Uint8Array {
  const big = new Uint8Array(offset + bytes.length + 13).fill(0xab);
  big.set(bytes, offset);
  return big.subarray(offset, offset + bytes.length);
}

describe('safetensors reads any Uint8Array view', () => {
  manualSeed(3);
  const a = new Linear(3, 2);
  const bytes = saveSafetensors(a, { metadata: { note: 'x' } });

  const views: Array<[string, () => Uint8Array]> = [
    // Buffer.from copies into Node's shared pool: a non-zero byteOffset into a larger ArrayBuffer
    ['a Node Buffer', () => Buffer.from(bytes)],
    ['a subarray at an aligned offset', () => embedded(bytes, 64)],
    ['a subarray at an unaligned offset', () => embedded(bytes, 3)],
  ];
  for (const [label, make] of views) {
    it(`loads ${label}`, () => {
      const view = make();
      const b = new Linear(3, 2);
      expect(loadSafetensors(b, view)).toEqual({ note: 'x' });
      expect(values(b)).toEqual(values(a));
      const parsed = parseSafetensors(view);
      expect(Array.from(new Float32Array(parsed.tensors.get('weight')!.bytes.slice().buffer))).toEqual(values(a)[0]);
    });
  }

  it('a Buffer whose pool holds other bytes before it still loads the right numbers', () => {
    const pooled = Buffer.allocUnsafe(8192);
    pooled.fill(7);
    const at = 1001;
    pooled.set(bytes, at);
    const b = new Linear(3, 2);
    loadSafetensors(b, pooled.subarray(at, at + bytes.length));
    expect(values(b)).toEqual(values(a));
  });
});

describe('safetensors metadata is string → string', () => {
  const m = () => new Linear(2, 1);
  for (const bad of [[], ['a'], { n: 1 }, { a: 'x', b: null }, 'text', 5, null]) {
    it(`saveSafetensors refuses metadata ${JSON.stringify(bad)}`, () => {
      expect(() => saveSafetensors(m(), { metadata: bad as never })).toThrow(ValueError);
    });
  }
  it('what saveSafetensors writes, parseSafetensors reads back', () => {
    const bytes = saveSafetensors(m(), { metadata: { a: '1', 'b c': 'ü' } });
    expect(parseSafetensors(bytes).metadata).toEqual({ a: '1', 'b c': 'ü' });
  });
  it('parseSafetensors refuses an array as metadata', () => {
    const json = JSON.stringify({ __metadata__: ['a'] });
    const header = new TextEncoder().encode(json);
    const file = new Uint8Array(8 + header.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    expect(() => parseSafetensors(file)).toThrow(SafetensorsError);
  });
  it('a header nested deep enough to overflow the stack gets a SafetensorsError', () => {
    const depth = 200_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const json of [
      `{"x":{"dtype":"F32","shape":${nested},"data_offsets":[0,0]}}`,
      `{"x":{"dtype":"F32","shape":[1],"data_offsets":${nested}}}`,
      `{"x":{"dtype":${nested}}}`,
      `{"__metadata__":{"a":${nested}}}`,
    ]) {
      const header = new TextEncoder().encode(json);
      const file = new Uint8Array(8 + header.length);
      new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
      file.set(header, 8);
      const caught = thrown(() => parseSafetensors(file));
      expect(caught).toBeInstanceOf(SafetensorsError);
      expect((caught as Error).message.length).toBeLessThan(400);
    }
  });
  /** A file of `json` as its header and `data` float32 values. */
  const file = (json: string, data: number[]) => {
    const header = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + header.length + data.length * 4);
    const view = new DataView(out.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    out.set(header, 8);
    data.forEach((v, i) => {
      view.setFloat32(8 + header.length + i * 4, v, true);
    });
    return out;
  };
  it('refuses a header that names a tensor twice (JSON.parse would keep the last without a word)', () => {
    const one = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const cases: Array<[string, RegExp]> = [
      [`{"weight":${one},"weight":${one}}`, /header names "weight" twice/],
      // the same name, written with an escape
      [`{"weight":${one},"w\\u0065ight":${one}}`, /header names "weight" twice/],
      // a field twice inside one tensor's entry
      ['{"weight":{"dtype":"F64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', /header names "dtype" twice/],
      [`{"__metadata__":{"a":"1","a":"2"},"weight":${one}}`, /header names "a" twice/],
    ];
    for (const [json, message] of cases) {
      const caught = thrown(() => parseSafetensors(file(json, [1.5])));
      expect(caught, json).toBeInstanceOf(SafetensorsError);
      expect((caught as Error).message, json).toMatch(message);
    }
    // the same names in different objects, and a name that only looks like a key inside a string, are fine
    const ok = `{"__metadata__":{"dtype":"x: y","shape":"\\"weight\\":"},"weight":${one}}`;
    expect(parseSafetensors(file(ok, [1.5])).tensors.get('weight')!.shape).toEqual([1]);
  });
  it("refuses to save a tensor named '__metadata__', which no reader could load back", () => {
    const t = tensor([1]);
    const caught = thrown(() => saveSafetensors({ __metadata__: t, w: t }));
    expect(caught).toBeInstanceOf(SafetensorsError);
    expect((caught as Error).message).toMatch(/saveSafetensors: a tensor cannot be named '__metadata__'/);
    t.dispose();
  });
});

describe('one load sequence for bytes and files', () => {
  it('checks names, dtypes and shapes once, against the header, and writes without loadStateDict re-checking them', () => {
    manualSeed(3);
    const a = new Linear(3, 2);
    const b = new Linear(3, 2);
    let calls = 0;
    const original = b.loadStateDict.bind(b);
    b.loadStateDict = (...args) => {
      calls++;
      return original(...args);
    };
    loadSafetensors(b, saveSafetensors(a));
    expect(calls).toBe(0);
    expect(b.weight.value.toArray()).toEqual(a.weight.value.toArray());
    expect(b.bias!.value.toArray()).toEqual(a.bias!.value.toArray());
  });

  it('asks for the header before any tensor, and refuses a model whose tensors were replaced after it planned', () => {
    manualSeed(4);
    const a = new Linear(2, 2);
    const bytes = saveSafetensors(a);
    const b = new Linear(2, 2);
    const before = b.weight.value.toArray();
    const steps = loadSteps(b, bytes.length, 'test');
    const asked: Array<readonly [number, number]> = [];
    const send = (range: readonly [number, number]) => bytes.subarray(range[0], range[0] + range[1]);
    let step = steps.next();
    asked.push(step.value as readonly [number, number]);
    step = steps.next(send(step.value as readonly [number, number]));
    asked.push(step.value as readonly [number, number]);
    step = steps.next(send(step.value as readonly [number, number]));
    // the header's length, then the header, then the first tensor
    expect(asked[0]).toEqual([0, 8]);
    expect(asked[1]![0]).toBe(8);
    expect((step.value as readonly [number, number])[0]).toBeGreaterThanOrEqual(8 + asked[1]![1]);
    // the model's tensors are replaced while the tensors are read
    b.to('float64');
    let err: unknown;
    try {
      while (!step.done) step = steps.next(send(step.value));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toMatch(/test: the model's 'weight' was replaced during the load/);
    expect(b.weight.value.toArray()).toEqual(before);
  });
});
