// gd's sequence layers against PyTorch 1.13 in float64: each fixture (scripts/torch-fixtures.py)
// holds a layer's state_dict, its inputs, outputs, and the gradients of Σ_k (output_k · W_k).sum()
// for fixed random W_k with respect to the inputs and every parameter. The state dict is loaded
// through loadSafetensors (so the keys must be PyTorch's exactly), and everything is compared to
// 1e-9.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Variable, variable } from '@gd/autograd';
import { memory, scope, type Tensor, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  GRU,
  LayerNorm,
  LSTM,
  loadSafetensors,
  type Module,
  MultiheadAttention,
  parseSafetensors,
  RNN,
  type SafetensorsEntry,
  scaledDotProductAttention,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'torch');
const TOL = 1e-9;

interface Config {
  layer: string;
  args?: number[];
  options?: Record<string, unknown>;
  call: { args: unknown[]; options: Record<string, unknown> | null };
  outputs: string[];
}

function toTensor(e: SafetensorsEntry): Tensor {
  const bytes = e.bytes.slice();
  if (e.dtype === 'F64') return tensor(new Float64Array(bytes.buffer), { shape: e.shape, dtype: 'float64' });
  if (e.dtype === 'I64') return tensor(Int32Array.from(new BigInt64Array(bytes.buffer), Number), { shape: e.shape, dtype: 'int32' });
  throw new Error(`fixture dtype ${e.dtype}`);
}

/** The largest |a − b| / max(1, |b|); NaN if either holds a NaN or the sizes differ. */
function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(err <= m)) m = err; // NaN propagates
  }
  return m;
}

function close(label: string, got: Tensor | null | undefined, want: Tensor) {
  expect(got, label).toBeTruthy();
  expect(got!.shape, label).toEqual(want.shape);
  const err = maxError(got!.data(), want.data());
  expect(!(err <= TOL) ? `${label}: max error ${err}` : 'ok').toBe('ok');
}

function build(c: Config): Module<never[], unknown> | null {
  const [a, b] = c.args ?? [];
  const o = { ...(c.options ?? {}), dtype: 'float64' as const };
  switch (c.layer) {
    case 'scaledDotProductAttention':
      return null;
    case 'MultiheadAttention':
      return new MultiheadAttention(a!, b!, o);
    case 'TransformerEncoderLayer':
      return new TransformerEncoderLayer(a!, b!, o);
    case 'TransformerDecoderLayer':
      return new TransformerDecoderLayer(a!, b!, o);
    case 'TransformerDecoder': {
      const { numLayers, norm, ...layer } = o as typeof o & { numLayers: number; norm: boolean };
      const template = new TransformerDecoderLayer(a!, b!, layer);
      const decoder = new TransformerDecoder(template, numLayers, { norm: norm ? new LayerNorm(a!, { dtype: 'float64' }) : null });
      template.dispose();
      return decoder;
    }
    case 'TransformerEncoder': {
      const { numLayers, norm, ...layer } = o as typeof o & { numLayers: number; norm: boolean };
      // the template layer is not part of the encoder, which holds copies of it
      const template = new TransformerEncoderLayer(a!, b!, layer);
      const encoder = new TransformerEncoder(template, numLayers, { norm: norm ? new LayerNorm(a!, { dtype: 'float64' }) : null });
      template.dispose();
      return encoder;
    }
    case 'RNN':
      return new RNN(a!, b!, o);
    case 'LSTM':
      return new LSTM(a!, b!, o);
    case 'GRU':
      return new GRU(a!, b!, o);
    default:
      throw new Error(`unknown layer ${c.layer}`);
  }
}

const flatten = (x: unknown): Array<Variable | null> => (Array.isArray(x) ? x.flatMap(flatten) : [x as Variable | null]);

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.data.safetensors'))
  .map((f) => f.slice(0, -'.data.safetensors'.length))
  .sort();

describe('sequence layers match PyTorch 1.13 in float64 (outputs and gradients to 1e-9)', () => {
  it('has the fixtures', () => {
    expect(cases.length).toBe(18);
  });
  for (const name of cases) {
    it(name, () => {
      const before = memory().tensors;
      const stateBytes = new Uint8Array(readFileSync(join(dir, `${name}.safetensors`)));
      const data = parseSafetensors(new Uint8Array(readFileSync(join(dir, `${name}.data.safetensors`))));
      const config = JSON.parse(data.metadata.config!) as Config;
      const model = build(config);
      const inputs = new Map<string, Variable | Tensor>();
      scope(() => {
        if (model) loadSafetensors(model, stateBytes);
        const get = (key: string) => toTensor(data.tensors.get(key)!);
        for (const key of data.tensors.keys()) {
          if (!key.startsWith('input.')) continue;
          const t = get(key);
          inputs.set(key.slice(6), t.dtype === 'float64' ? variable(t) : t);
        }
        const resolve = (x: unknown): unknown => (typeof x === 'string' ? inputs.get(x) : Array.isArray(x) ? x.map(resolve) : x);
        const args = config.call.args.map(resolve);
        const options = config.call.options && Object.fromEntries(Object.entries(config.call.options).map(([k, v]) => [k, resolve(v)]));
        if (options) args.push(options);
        const out = model
          ? (model.forward as (...a: unknown[]) => unknown).apply(model, args)
          : scaledDotProductAttention(...(args as Parameters<typeof scaledDotProductAttention>));
        const outs = flatten(out);
        expect(outs.length).toBe(config.outputs.length);
        let loss: Variable | null = null;
        config.outputs.forEach((k, i) => {
          const want = data.tensors.has(`output.${k}`) ? get(`output.${k}`) : null;
          if (want === null) {
            expect(outs[i], `${k} is null`).toBeNull();
            return;
          }
          close(`output ${k}`, outs[i]!.value, want);
          const term = outs[i]!.mul(get(`weight.${k}`)).sum();
          loss = loss ? loss.add(term) : term;
        });
        (loss as Variable | null)!.backward();
        let checked = 0;
        for (const [k, v] of inputs) {
          if (!(v instanceof Variable)) continue;
          close(`grad of input ${k}`, v.grad, get(`grad.input.${k}`));
          checked++;
        }
        const params = model ? model.namedParameters() : [];
        const torchParams = [...data.tensors.keys()].filter((k) => k.startsWith('grad.param.')).map((k) => k.slice(11));
        expect(params.map(([k]) => k).sort()).toEqual(torchParams.sort());
        for (const [k, p] of params) close(`grad of ${k}`, p.grad, get(`grad.param.${k}`));
        expect(checked).toBeGreaterThan(0);
      });
      for (const v of inputs.values()) if (v instanceof Variable) v.zeroGrad();
      model?.dispose();
      expect(memory().tensors).toBe(before);
    });
  }
});
