import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VariableLike } from '@gd/autograd';
import { asVariable, binaryOps, type OpName, opTable, unaryOps, type Variable } from '@gd/autograd';
import { DTypeError, GdError, manualSeed, memory, rand, randn, ShapeError, scope, tensor, ValueError } from '@gd/tensor';
import { thrown } from '@gd/testing';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { onnxSchemaJson } from '../scripts/onnx-schema.mjs';
import {
  type Activation,
  Dropout,
  Flatten,
  GELU,
  LeakyReLU,
  Linear,
  Module,
  mlp,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
} from '../src/index.js';
import { saveOnnxFile } from '../src/node.js';
import { DataType, ModelProto } from '../src/onnx/proto.js';
import { ONNX_OPSETS, OnnxExportError, toOnnx } from '../src/onnx.js';
import { agreement, gdForward, maxAbsDiff, runOrt } from './ort.js';

class Square extends Module {
  forward(x: VariableLike) {
    return asVariable(x).square();
  }
}

/** A module using an op with no ONNX lowering (max pooling outside the MaxPool2d layer). */
class Pool extends Module {
  forward(x: VariableLike) {
    return asVariable(x).reshape([-1, 1, 2, 2]).maxPool2d(2).flatten();
  }
}

describe('toOnnx: ONNX Runtime computes what gd computes', () => {
  for (const activation of ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu'] as Activation[]) {
    it(`mlp with ${activation}: outputs within 1e-5 at batch 1 and 9`, async () => {
      manualSeed(11);
      const model = mlp([6, 16, 12, 4], { activation });
      expect(await agreement(model, [6], { batch: 9 })).toBeLessThan(1e-5);
    });
  }

  for (const approximate of ['none', 'tanh'] as const) {
    it(`GELU (approximate '${approximate}') as the Gelu operator (opset 20) and as its decomposition (opset 17) agree with gd`, async () => {
      manualSeed(12);
      const model = new Sequential(new Linear(5, 7), new GELU({ approximate }), new Linear(7, 3));
      const decoded = (opset: number) => ModelProto.toObject(ModelProto.decode(toOnnx(model, { inputShape: [1, 5], opset }))) as OnnxModel;
      const ops = (opset: number) => decoded(opset).graph.node.map((n) => n.op_type);
      expect(ops(20)).toContain('Gelu');
      const gelu = decoded(20).graph.node.find((n) => n.op_type === 'Gelu')!;
      expect((gelu.attribute ?? []).map((a) => [a.name, Buffer.from(a.s ?? []).toString()])).toEqual([['approximate', approximate]]);
      expect(ops(17)).not.toContain('Gelu');
      expect(ops(17)).toContain(approximate === 'none' ? 'Erf' : 'Tanh');
      expect(ops(17)).not.toContain(approximate === 'none' ? 'Tanh' : 'Erf');
      expect(await agreement(model, [5], { batch: 4, opset: 20 })).toBeLessThan(1e-5);
      expect(await agreement(model, [5], { batch: 4, opset: 17 })).toBeLessThan(1e-5);
    });
  }

  it('nested Sequential with Flatten, Dropout (eval), LeakyReLU(0.2), Softmax, and a Linear on rank-3 input', async () => {
    manualSeed(13);
    const model = new Sequential(
      new Linear(4, 5),
      new Sequential(new Tanh(), new Dropout(0.5), new Sequential(new Flatten(), new Linear(15, 6, { bias: false }))),
      new LeakyReLU(0.2),
      new Linear(6, 3),
      new Softmax(),
    );
    expect(await agreement(model, [3, 4], { batch: 8 })).toBeLessThan(1e-5);
  });

  it('Softmax along another axis, Sigmoid and ReLU on rank-3 values', async () => {
    manualSeed(14);
    const model = new Sequential(new Linear(3, 4), new Sigmoid(), new Softmax(1), new ReLU());
    expect(await agreement(model, [2, 3])).toBeLessThan(1e-5);
  });

  it('a model that is only Dropout exports as the identity', async () => {
    manualSeed(15);
    expect(await agreement(new Dropout(0.3), [4], { batch: 3 })).toBe(0);
  });

  it('every supported opset loads with all optimisations on and agrees', async () => {
    manualSeed(16);
    const model = new Sequential(new Flatten(), mlp([6, 8, 3], { activation: 'gelu', dropout: 0.1 }), new Softmax());
    for (let opset = ONNX_OPSETS.min; opset <= ONNX_OPSETS.max; opset++) {
      expect(await agreement(model, [2, 3], { batch: 4, opset })).toBeLessThan(1e-5);
    }
  });

  it('a fixed batch is fixed: ORT refuses another batch size, the dynamic export accepts it', async () => {
    manualSeed(17);
    const model = mlp([3, 2]);
    const x = randn([4, 3]);
    await expect(runOrt(toOnnx(model, { inputShape: [1, 3] }), x)).rejects.toThrow();
    expect((await runOrt(toOnnx(model, { inputShape: [1, 3], dynamicBatch: true }), x)).dims).toEqual([4, 2]);
  });

  it('float64 parameters export as DOUBLE; ORT matches a plain-JS float64 reference within 1e-12', async () => {
    // hand-picked float64 values through the DOUBLE path, checked against x·Wᵀ + b then tanh
    // computed in JS doubles (independent of gd's own float64 kernels)
    manualSeed(18);
    const model = new Sequential(new Linear(3, 2), new Tanh());
    const w = [0.1234567890123, -0.5, 2.000000000001, 1e-9, 0.3333333333333333, -1.75];
    const b = [Math.PI, -Math.E / 7];
    const fake = (data: number[], shape: number[]) => ({ dtype: 'float64', shape, size: data.length, data: () => Float64Array.from(data) });
    vi.spyOn(model, 'stateDict').mockReturnValue({ '0.weight': fake(w, [2, 3]), '0.bias': fake(b, [2]) } as never);
    const bytes = toOnnx(model, { inputShape: [1, 3], dynamicBatch: true });
    const decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as OnnxModel;
    expect(decoded.graph.initializer.map((t) => t.data_type)).toEqual([DataType.DOUBLE, DataType.DOUBLE]);
    expect(decoded.graph.input[0]!.type.tensor_type.elem_type).toBe(DataType.DOUBLE);
    const x = [0.1, -0.2, 0.30000000000000004, 1e-7, 5, -3];
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    const { output } = await session.run({ input: new ort.Tensor('float64', Float64Array.from(x), [2, 3]) });
    const want = [0, 1].flatMap((n) =>
      [0, 1].map((o) => Math.tanh(x[n * 3]! * w[o * 3]! + x[n * 3 + 1]! * w[o * 3 + 1]! + x[n * 3 + 2]! * w[o * 3 + 2]! + b[o]!)),
    );
    expect(output!.data).toBeInstanceOf(Float64Array);
    expect(maxAbsDiff(output!.data as Float64Array, want)).toBeLessThan(1e-12);
    // and float32 could not have held it: the same model in float32 is further off than that
    expect(maxAbsDiff(Float32Array.from(want), want)).toBeGreaterThan(1e-12);
  });

  it('a real float64 gd model, exported and run by ONNX Runtime, agrees with gd within 1e-12', async () => {
    manualSeed(21);
    const model = mlp([4, 16, 8, 3], { activation: 'tanh', dtype: 'float64' }).eval();
    expect(model.dtype).toBe('float64');
    const bytes = toOnnx(model, { inputShape: [1, 4], dynamicBatch: true });
    const decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as OnnxModel;
    expect(new Set(decoded.graph.initializer.map((t) => t.data_type))).toEqual(new Set([DataType.DOUBLE]));
    const x = randn([7, 4], { dtype: 'float64' });
    const want = scope(() => model.forward(x).value.data());
    expect(want).toBeInstanceOf(Float64Array);
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    const { output } = await session.run({ input: new ort.Tensor('float64', x.data() as Float64Array, [7, 4]) });
    await session.release();
    expect(output!.dims).toEqual([7, 3]);
    expect(output!.data).toBeInstanceOf(Float64Array);
    expect(maxAbsDiff(output!.data as Float64Array, want)).toBeLessThan(1e-12);
    // the float32 copy of the same model is nowhere near that
    const f32 = scope(() => model.to('float32').forward(x.cast('float32')).value.data());
    expect(maxAbsDiff(f32, want)).toBeGreaterThan(1e-9);
    x.dispose();
    model.dispose();
  });

  it('exporting leaves the model alone: training mode, randomness and WASM memory', () => {
    manualSeed(19);
    const model = mlp([4, 6, 2], { dropout: 0.5 });
    const before = memory().bytesInUse;
    const next = () => scope(() => randn([3]).data()[0]);
    manualSeed(5);
    const expected = next();
    manualSeed(5);
    toOnnx(model, { inputShape: [2, 4] });
    expect(next()).toBe(expected);
    expect(model.training).toBe(true);
    expect(memory().bytesInUse).toBe(before);
  });
});

interface OnnxModel {
  ir_version: number;
  producer_name: string;
  opset_import: Array<{ domain?: string; version: number }>;
  graph: {
    node: Array<{
      name: string;
      op_type: string;
      input: string[];
      output: string[];
      attribute?: Array<{ name: string; i?: number; f?: number; s?: Uint8Array; type: number }>;
    }>;
    initializer: Array<{ name: string; dims: number[]; data_type: number; raw_data: Uint8Array }>;
    input: Array<{
      name: string;
      type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } };
    }>;
    output: Array<{
      name: string;
      type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } };
    }>;
  };
}

describe('toOnnx: the protobuf', () => {
  it('round-trips: opset, IR version, initializer names = stateDict keys, dims and bytes, input and output shapes', () => {
    manualSeed(20);
    const model = new Sequential(new Flatten(), mlp([12, 5, 3], { activation: 'leakyRelu' }), new Softmax());
    const bytes = toOnnx(model, { inputShape: [1, 3, 4], opset: 18, dynamicBatch: true });
    const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as OnnxModel;
    expect(m.ir_version).toBe(8);
    expect(m.producer_name).toBe('@gd/nn');
    expect(m.opset_import).toEqual([{ domain: '', version: 18 }]);
    const state = model.stateDict();
    expect(m.graph.initializer.map((t) => t.name)).toEqual(Object.keys(state));
    expect(Object.keys(state)).toEqual(['1.0.weight', '1.0.bias', '1.2.weight', '1.2.bias']);
    for (const t of m.graph.initializer) {
      expect(t.data_type).toBe(DataType.FLOAT);
      expect(t.dims).toEqual([...state[t.name]!.shape]);
      const raw = new Float32Array(Uint8Array.from(t.raw_data).buffer);
      expect(Array.from(raw)).toEqual(Array.from(state[t.name]!.data()));
    }
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['Flatten', 'Gemm', 'LeakyRelu', 'Gemm', 'Softmax']);
    expect(m.graph.node.map((n) => n.name)).toEqual(['/0/Flatten', '/1/0/Gemm', '/1/1/LeakyRelu', '/1/2/Gemm', '/2/Softmax']);
    expect(m.graph.node[1]!.input).toEqual(['/0/Flatten_output', '1.0.weight', '1.0.bias']);
    expect(m.graph.node[2]!.attribute).toEqual([{ name: 'alpha', type: 1, f: Math.fround(0.01) }]);
    expect(m.graph.node.at(-1)!.output).toEqual(['output']);
    const dims = (v: OnnxModel['graph']['input'][number]) => v.type.tensor_type.shape.dim.map((d) => d.dim_value ?? d.dim_param);
    expect(m.graph.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['batch', 3, 4]]]);
    expect(m.graph.output.map((v) => [v.name, dims(v)])).toEqual([['output', ['batch', 3]]]);
    // the same model exports to the same bytes
    expect(toOnnx(model, { inputShape: [1, 3, 4], opset: 18, dynamicBatch: true })).toEqual(bytes);
  });

  it('the default opset is 17 with IR version 8', () => {
    const m = ModelProto.toObject(ModelProto.decode(toOnnx(mlp([2, 1]), { inputShape: [1, 2] })), { longs: Number }) as OnnxModel;
    expect(m.opset_import[0]!.version).toBe(17);
    expect(m.ir_version).toBe(8);
  });

  it('the shipped schema JSON is generated from the official onnx.proto', () => {
    const shipped = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'src', 'onnx', 'onnx.schema.json'), 'utf8'));
    expect(shipped).toEqual(onnxSchemaJson());
    const proto = readFileSync(join(import.meta.dirname, '..', 'src', 'onnx', 'onnx.proto'), 'utf8');
    expect(proto).toContain('message ModelProto');
    expect(proto).toContain('IR_VERSION_2025_08_26 = 0x000000000000000C;');
  });
});

describe('toOnnx: models exported by tracing their forward', () => {
  it('a module of its own (x²) and a subclass of Linear that changes forward are traced, and agree with gd', async () => {
    manualSeed(31);
    expect(await agreement(new Sequential(new Linear(3, 4), new Square()), [3])).toBeLessThan(1e-5);
    class Doubled extends Linear {
      override forward(x: VariableLike) {
        return super.forward(x).mul(2);
      }
    }
    const ops = (ModelProto.toObject(ModelProto.decode(toOnnx(new Doubled(2, 2), { inputShape: [1, 2] }))) as OnnxModel).graph.node.map(
      (n) => n.op_type,
    );
    expect(ops).toContain('Mul');
    expect(await agreement(new Sequential(new Doubled(2, 3)), [2])).toBeLessThan(1e-5);
  });

  it('a self-attention block with symbolic batch and sequence: ORT agrees with gd at other sizes', async () => {
    manualSeed(32);
    class SelfAttention extends Module {
      qkv = new Linear(8, 24);
      out = new Linear(8, 8);
      forward(xIn: VariableLike) {
        const x = asVariable(xIn);
        const [b, t] = x.shape as number[];
        const heads = (z: typeof x) => z.reshape([b!, t!, 2, 4]).transpose([0, 2, 1, 3]);
        const qkv = this.qkv.forward(x);
        const q = heads(qkv.slice([0, 0, 0], [-1, -1, 8]));
        const k = heads(qkv.slice([0, 0, 8], [-1, -1, 8]));
        const v = heads(qkv.slice([0, 0, 16], [-1, -1, 8]));
        const att = q.matmul(k, { transposeB: true }).mul(0.5).softmax(-1).matmul(v);
        return this.out.forward(att.transpose([0, 2, 1, 3]).reshape([b!, t!, 8]));
      }
    }
    const model = new SelfAttention().eval();
    const bytes = toOnnx(model, { inputShape: [1, 4, 8], dynamicBatch: true, dynamicAxes: { 1: 'sequence' } });
    const decoded = ModelProto.toObject(ModelProto.decode(bytes)) as OnnxModel;
    expect(JSON.stringify(decoded.graph.input)).toContain('sequence');
    for (const [n, t] of [
      [1, 4],
      [2, 5],
      [3, 9],
    ]) {
      const x = randn([n!, t!, 8]);
      const got = await runOrt(bytes, x);
      expect(got.dims).toEqual([n, t, 8]);
      expect(maxAbsDiff(got.data, gdForward(model, x).data)).toBeLessThan(1e-5);
    }
  });

  it('gelu in a traced forward exports in the form it was called with', async () => {
    manualSeed(34);
    class Both extends Module {
      forward(xIn: VariableLike) {
        const x = asVariable(xIn);
        return x.gelu().sub(x.mul(2).gelu({ approximate: 'tanh' }));
      }
    }
    for (const opset of [17, 20]) {
      const bytes = toOnnx(new Both(), { inputShape: [1, 6], dynamicBatch: true, opset });
      const x = randn([3, 6]).mul(2);
      expect(maxAbsDiff((await runOrt(bytes, x)).data, gdForward(new Both(), x).data)).toBeLessThan(1e-5);
    }
  });

  it('the sequence ops of a traced forward (gelu in both forms, sin, cos, erf, tril, triu, maskedFill, cumsum) agree with gd', async () => {
    manualSeed(34);
    class SequenceOps extends Module {
      forward(xIn: VariableLike) {
        const x = asVariable(xIn);
        const future = tensor([
          [0, 1, 1],
          [0, 0, 1],
          [0, 0, 0],
        ]);
        const scores = x.matmul(x, { transposeB: true }).maskedFill(future, -1e9).softmax(-1);
        const waves = x.sin().add(x.cos().mul(0.5)).add(x.erf());
        return scores
          .matmul(waves)
          .gelu()
          .add(x.gelu({ approximate: 'tanh' }))
          .add(x.cumsum(1))
          .add(scores.tril(-1).add(scores.triu(1)).sum(-1, true));
      }
    }
    for (const opset of [17, 20]) {
      const bytes = toOnnx(new SequenceOps(), { inputShape: [1, 3, 4], dynamicBatch: true, opset });
      const x = randn([2, 3, 4]);
      expect(maxAbsDiff((await runOrt(bytes, x)).data, gdForward(new SequenceOps(), x).data)).toBeLessThan(1e-5);
    }
    expect(() => toOnnx(new SequenceOps(), { inputShape: [1, 3, 4], opset: 13 })).toThrow(/Trilu operator of opset 14 or later/);
  });

  it('a constant built from a symbolic size is refused for that axis, and exports with the axis fixed', async () => {
    manualSeed(33);
    class Causal extends Module {
      forward(xIn: VariableLike) {
        const x = asVariable(xIn);
        const t = x.shape[1]!;
        // a [t, t] mask made from the traced length: the graph then holds t itself
        const mask = tensor(
          Array.from({ length: t * t }, (_, i) => (i % t <= Math.floor(i / t) ? 0 : -1e9)),
          { shape: [t, t] },
        );
        return x.matmul(x, { transposeB: true }).add(mask).softmax(-1);
      }
    }
    expect(() => toOnnx(new Causal(), { inputShape: [1, 4, 3], dynamicAxes: { 1: 'sequence' } })).toThrow(
      /symbolic axes \(1: 'sequence'\)/,
    );
    const x = randn([2, 4, 3]);
    const bytes = toOnnx(new Causal(), { inputShape: [1, 4, 3], dynamicBatch: true });
    expect(maxAbsDiff((await runOrt(bytes, x)).data, gdForward(new Causal(), x).data)).toBeLessThan(1e-5);
  });
});

describe('toOnnx: the op registry declares the ONNX form of every elementwise op', () => {
  // inputs in [0.3, 0.9]: inside the domain of every elementwise op (log, sqrt, pow, tan, atanh, …)
  const inRange = (n: number) => rand([n, 3, 4], { low: 0.3, high: 0.9 });
  const named = (f: (x: Variable) => Variable) =>
    new (class extends Module {
      forward(x: VariableLike) {
        return f(asVariable(x));
      }
    })();
  const methods = asVariable(tensor([0])) as unknown as Record<string, (...a: unknown[]) => Variable>;
  const unary = Object.keys(unaryOps);
  const binary = Object.keys(binaryOps);

  it('each op of unaryOps and binaryOps has a lowering (an op without one fails here)', () => {
    const missing = [...unary, ...binary].filter((n) => opTable[n as OpName].onnx === undefined);
    expect(missing).toEqual([]);
  });

  for (const name of unary) {
    it(`${name}: ONNX Runtime agrees with gd`, async () => {
      manualSeed(41);
      const model = named((x) => methods[name]!.call(x));
      expect(await agreement(model, [3, 4], { input: inRange })).toBeLessThan(1e-5);
    });
  }
  for (const name of binary) {
    it(`${name}: ONNX Runtime agrees with gd, the second operand broadcast`, async () => {
      manualSeed(42);
      const model = named((x) => methods[name]!.call(x, x.mean(-1, true).add(0.1)));
      expect(await agreement(model, [3, 4], { input: inRange })).toBeLessThan(1e-5);
    });
  }
  it('leakyRelu and clamp carry their attributes', async () => {
    manualSeed(43);
    const model = named((x) => x.sub(0.6).leakyRelu(0.3).add(x.clamp(0.4, 0.7)));
    expect(await agreement(model, [3, 4], { input: inRange })).toBeLessThan(1e-5);
  });
});

describe('toOnnx: errors', () => {
  it('an op without an ONNX lowering fails with OnnxExportError naming the op, the module and its path', () => {
    const nested = new Sequential(new Linear(2, 4), new Sequential(new ReLU(), new Pool()));
    const e = thrown(() => toOnnx(nested, { inputShape: [1, 2] }));
    expect(e).toBeInstanceOf(OnnxExportError);
    expect(e).toBeInstanceOf(GdError);
    expect((e as GdError).message).toMatch(/cannot export the op 'maxPool2d' in Pool at '1\.1': it has no ONNX lowering/);
    expect((e as GdError).code).toBe('E_ONNX_EXPORT');
    expect(() => toOnnx(new Pool(), { inputShape: [1, 4] })).toThrow(/'maxPool2d' in Pool at the root of the model/);
  });

  it('a value computed from the input outside the recorded ops is refused, not baked in as a constant', () => {
    class Masked extends Module {
      forward(x: VariableLike) {
        const v = asVariable(x);
        // gt() gives an int32 Tensor: no op of the graph, so its values would be frozen
        return v.mul(v.gt(0.15));
      }
    }
    expect(() => toOnnx(new Masked(), { inputShape: [1, 3] })).toThrow(OnnxExportError);
    expect(() => toOnnx(new Masked(), { inputShape: [1, 3] })).toThrow(/depends on its input's values/);
    // the same for values that a constant input would leave unchanged: a sign, a comparison with 0
    class Signs extends Module {
      forward(x: VariableLike) {
        const v = asVariable(x);
        return v.where(v.gt(0), 0).add(v.sign());
      }
    }
    expect(() => toOnnx(new Signs(), { inputShape: [1, 3] })).toThrow(OnnxExportError);
  });

  it('an output in another dtype is declared in it, and a flattened batch is named by its symbolic axis', async () => {
    class Double extends Module {
      lin = new Linear(3, 3);
      forward(x: VariableLike) {
        return this.lin.forward(x).reshape([-1]).cast('float64');
      }
    }
    const bytes = toOnnx(new Double().eval(), { inputShape: [2, 3], dynamicBatch: true });
    const out = (ModelProto.toObject(ModelProto.decode(bytes)) as OnnxModel & { graph: { output: Array<{ type: unknown }> } }).graph
      .output[0];
    expect(JSON.stringify(out)).toContain('"elem_type":11');
    expect(JSON.stringify(out)).toContain('batch*3');
    const session = await ort.InferenceSession.create(bytes);
    const x = randn([4, 3]);
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [4, 3]) });
    expect(output!.dims).toEqual([12]);
    await session.release();
  });

  it('shapes that do not fit the model fail with the layer’s own error class, said as export’s', () => {
    const model = mlp([4, 3, 2]);
    expect(() => toOnnx(model, { inputShape: [1, 5] })).toThrow(ShapeError);
    expect(() => toOnnx(model, { inputShape: [1, 5] })).toThrow(
      /^toOnnx: the model's forward fails on an input of \[1, 5\]: .*linear: input \[1,5\] must end in the weight's 4 input features/,
    );
    expect(() => toOnnx(new Sequential(new Softmax(3)), { inputShape: [1, 5] })).toThrow(/axis 3/);
  });

  it('bad options fail with ValueError naming the option and the value', () => {
    const model = mlp([2, 1]);
    expect(() => toOnnx(model, { inputShape: [] })).toThrow(ValueError);
    expect(() => toOnnx(model, { inputShape: [1, 2.5] })).toThrow(/inputShape must be .* got \[1,2\.5\]/);
    expect(() => toOnnx(model, { inputShape: [0, 2] })).toThrow(/inputShape/);
    expect(() => toOnnx(model, { inputShape: [1, 2], opset: 12 })).toThrow('toOnnx: opset must be an integer from 13 to 22, got 12');
    expect(() => toOnnx(model, { inputShape: [1, 2], opset: 23 })).toThrow(ValueError);
    expect(() => toOnnx(model, { inputShape: [1, 2], dynamicBatch: 'yes' as never })).toThrow(/dynamicBatch must be a boolean, got string/);
    expect(() => toOnnx({} as never, { inputShape: [1, 2] })).toThrow('toOnnx: model must be a Module, got Object');
    expect(() => toOnnx(model, undefined as never)).toThrow(/options must be an object/);
  });

  it('parameters of a dtype ONNX export does not handle fail with DTypeError', () => {
    const model = mlp([2, 1]);
    const w = model.stateDict()['0.weight']!;
    vi.spyOn(model, 'stateDict').mockReturnValue({ '0.weight': w, '0.bias': { ...w, dtype: 'float64' } } as never);
    expect(() => toOnnx(model, { inputShape: [1, 2] })).toThrow(DTypeError);
    expect(() => toOnnx(model, { inputShape: [1, 2] })).toThrow('toOnnx: the parameters mix dtypes (float32, float64); export needs one');
  });
});

describe('saveOnnxFile', () => {
  it('writes the bytes of toOnnx atomically; a failed export leaves the previous file as it was', async () => {
    manualSeed(21);
    const dir = mkdtempSync(join(tmpdir(), 'gd-onnx-'));
    try {
      const path = join(dir, 'model.onnx');
      const model = mlp([3, 4, 2]);
      await saveOnnxFile(path, model, { inputShape: [1, 3], dynamicBatch: true });
      const written = new Uint8Array(readFileSync(path));
      expect(written).toEqual(toOnnx(model, { inputShape: [1, 3], dynamicBatch: true }));
      await expect(saveOnnxFile(path, new Sequential(new Linear(3, 4), new Pool()), { inputShape: [1, 3] })).rejects.toThrow(
        OnnxExportError,
      );
      expect(new Uint8Array(readFileSync(path))).toEqual(written);
      expect(readdirSync(dir)).toEqual(['model.onnx']);
      const x = randn([2, 3]);
      expect(maxAbsDiff((await runOrt(written, x)).data, gdForward(model.eval(), x).data)).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
