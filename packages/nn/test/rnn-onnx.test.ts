// RNN, LSTM and GRU exported as ONNX's recurrent operators, run by ONNX Runtime against gd: one
// exported file at several batch sizes and sequence lengths.
import { asVariable, stack, type Variable, type VariableLike } from '@gd/autograd';
import { manualSeed, memory, randn, scope, type Tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GRU, Linear, LSTM, Module, RNN, type RNNOptions } from '../src/index.js';
import { ModelProto } from '../src/onnx/proto.js';
import { toOnnx } from '../src/onnx.js';

type Recurrent = RNN | LSTM | GRU;

/** Runs exported bytes on ONNX Runtime, every graph optimisation on, and returns every output in order. */
async function runAll(bytes: Uint8Array, x: Tensor): Promise<Array<{ dims: readonly number[]; data: Float32Array }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
  const names = session.outputNames;
  await session.release();
  return names.map((n) => ({ dims: out[n]!.dims, data: out[n]!.data as Float32Array }));
}

/** gd's outputs (a tensor or a nested array of them), flattened in order, with their shapes. */
function gdAll(model: Module<[VariableLike], unknown>, x: Tensor): Array<{ dims: number[]; data: Float32Array }> {
  return scope(() => {
    const flat: Array<{ dims: number[]; data: Float32Array }> = [];
    const walk = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(walk);
      else {
        const v = asVariable(o as VariableLike);
        flat.push({ dims: [...v.shape], data: Float32Array.from(v.value.data()) });
      }
    };
    walk(model.forward(x));
    return flat;
  });
}

/** The largest |a − b|, NaN if any value is NaN (so a comparison with a tolerance fails). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.NaN : d;
    if (Number.isNaN(m)) return m;
  }
  return m;
}

interface Graph {
  node: Array<{ op_type: string }>;
  output: Array<{ type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_param?: string; dim_value?: number }> } } } }>;
  initializer: Array<{ data_type: number }>;
}

/** The op types of an exported graph, in order. */
const opTypes = (bytes: Uint8Array) =>
  (ModelProto.decode(bytes) as unknown as { graph: { node: Array<{ op_type: string }> } }).graph.node.map((n) => n.op_type);

/**
 * A recurrent layer started from states computed from the input (tanh of a projection of its
 * mean over time, one per layer and direction, c0 a scaled copy for LSTM), so h0 and c0 vary
 * with the batch and the export must read them as given.
 */
class FromState extends Module<[VariableLike], unknown> {
  readonly proj: Linear;
  constructor(
    readonly rnn: Recurrent,
    private readonly timeAxis: number,
  ) {
    super();
    this.proj = new Linear(rnn.inputSize, rnn.hiddenSize);
  }
  forward(x: VariableLike): unknown {
    const h = this.proj.forward(asVariable(x).mean(this.timeAxis)).tanh();
    const states = this.rnn.numLayers * this.rnn.directions;
    const h0: Variable = stack(
      Array.from({ length: states }, (_, k) => h.mul(1 - 0.3 * k)),
      0,
    );
    if (this.rnn instanceof LSTM) return this.rnn.forward(x, [h0, h0.mul(-0.7)]);
    return this.rnn.forward(x, h0);
  }
}

const make = (kind: 'RNN' | 'RNN relu' | 'LSTM' | 'GRU', options: RNNOptions): Recurrent =>
  kind === 'LSTM'
    ? new LSTM(3, 4, options)
    : kind === 'GRU'
      ? new GRU(3, 4, options)
      : new RNN(3, 4, { ...options, nonlinearity: kind === 'RNN' ? 'tanh' : 'relu' });

describe('toOnnx: RNN, LSTM and GRU as ONNX recurrent operators, on ONNX Runtime', () => {
  const configs: RNNOptions[] = [
    {},
    { batchFirst: true },
    { numLayers: 2, bidirectional: true },
    { numLayers: 3, batchFirst: true, bias: false },
    { bidirectional: true, batchFirst: true, bias: false },
  ];
  for (const kind of ['RNN', 'RNN relu', 'LSTM', 'GRU'] as const) {
    for (const options of configs) {
      for (const given of [false, true]) {
        it(`${kind} ${JSON.stringify(options)}${given ? ', initial state from the input' : ''}: symbolic batch and sequence, every output within 1e-5 at two batch sizes and lengths`, async () => {
          manualSeed(7);
          const rnn = make(kind, options);
          const bf = options.batchFirst === true;
          const model = (given ? new FromState(rnn, bf ? 1 : 0) : rnn).eval() as Module<[VariableLike], unknown>;
          const [batchAxis, timeAxis] = bf ? [0, 1] : [1, 0];
          const bytes = toOnnx(model, {
            inputShape: bf ? [2, 5, 3] : [5, 2, 3],
            dynamicAxes: { [batchAxis]: 'batch', [timeAxis]: 'sequence' },
          });
          // one recurrent node per layer, no unrolled time steps
          const ops = opTypes(bytes);
          const op = kind.startsWith('RNN') ? 'RNN' : kind;
          expect(ops.filter((o) => o === op).length).toBe(rnn.numLayers);
          expect(ops.filter((o) => o === 'MatMul' || o === 'Gemm').length).toBe(given ? 1 : 0);
          for (const [n, steps] of [
            [1, 3],
            [4, 9],
          ] as const) {
            const x = randn(bf ? [n, steps, 3] : [steps, n, 3]);
            const got = await runAll(bytes, x);
            const want = gdAll(model, x);
            expect(got.length).toBe(kind === 'LSTM' ? 3 : 2);
            expect(got.length).toBe(want.length);
            for (let i = 0; i < got.length; i++) {
              expect(got[i]!.dims).toEqual(want[i]!.dims);
              const err = maxAbsDiff(got[i]!.data, want[i]!.data);
              expect(err <= 1e-5, `output ${i}: ${err}`).toBe(true);
            }
            x.dispose();
          }
        });
      }
    }
  }

  it('an unbatched [L, in] input takes any sequence length: LSTM, GRU and RNN, bidirectional, 2 layers, initial state given or not', async () => {
    manualSeed(8);
    const options = { numLayers: 2, bidirectional: true };
    const models: Array<Module<[VariableLike], unknown>> = [
      new LSTM(3, 4, options) as Module<[VariableLike], unknown>,
      new GRU(3, 4, options) as Module<[VariableLike], unknown>,
      new FromState(new LSTM(3, 4, options), 0),
      new FromState(new RNN(3, 4, options), 0),
    ];
    for (const model of models) {
      model.eval();
      const bytes = toOnnx(model, { inputShape: [6, 3], dynamicAxes: { 0: 'sequence' } });
      for (const steps of [2, 11]) {
        const x = randn([steps, 3]);
        const got = await runAll(bytes, x);
        const want = gdAll(model, x);
        expect(got.map((g) => g.dims)).toEqual(want.map((w) => w.dims));
        expect(got[0]!.dims).toEqual([steps, 8]);
        for (let i = 0; i < got.length; i++) expect(maxAbsDiff(got[i]!.data, want[i]!.data)).toBeLessThan(1e-5);
        x.dispose();
      }
    }
  });

  it('exports at the lowest and highest opsets', async () => {
    manualSeed(9);
    const gru = new GRU(3, 4, { batchFirst: true, numLayers: 2 }).eval();
    for (const opset of [13, 22]) {
      const bytes = toOnnx(gru as Module<[VariableLike], unknown>, {
        inputShape: [2, 5, 3],
        dynamicBatch: true,
        dynamicAxes: { 1: 'sequence' },
        opset,
      });
      const x = randn([3, 7, 3]);
      const got = await runAll(bytes, x);
      const want = gdAll(gru as Module<[VariableLike], unknown>, x);
      for (let i = 0; i < got.length; i++) expect(maxAbsDiff(got[i]!.data, want[i]!.data)).toBeLessThan(1e-5);
      x.dispose();
    }
  });

  it('float64 parameters export as DOUBLE initializers and outputs (ONNX Runtime runs its recurrent kernels in float32 only)', () => {
    const lstm64 = new LSTM(3, 4, { dtype: 'float64', bidirectional: true });
    const bytes = toOnnx(lstm64 as Module<[VariableLike], unknown>, { inputShape: [5, 2, 3], dynamicAxes: { 0: 'sequence', 1: 'batch' } });
    const graph = (ModelProto.decode(bytes) as unknown as { graph: Graph }).graph;
    expect(graph.node.filter((n) => n.op_type === 'LSTM').length).toBe(1);
    expect(graph.output.map((o) => o.type.tensor_type.elem_type)).toEqual([11, 11, 11]);
    expect(graph.output.map((o) => o.type.tensor_type.shape.dim.map((d) => d.dim_param || Number(d.dim_value)))).toEqual([
      ['sequence', 'batch', 8],
      [2, 'batch', 4],
      [2, 'batch', 4],
    ]);
    expect(new Set(graph.initializer.map((i) => i.data_type))).toEqual(new Set([11, 7]));
  });

  it('leaves no tensor behind', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const before = memory().tensors;
    toOnnx(lstm as Module<[VariableLike], unknown>, { inputShape: [5, 2, 3], dynamicAxes: { 0: 'sequence', 1: 'batch' } });
    expect(memory().tensors).toBe(before);
  });
});
