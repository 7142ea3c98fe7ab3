/**
 * @gd/nn/onnx — export a model to ONNX, the format ONNX Runtime (Node, web, Python, C++, mobile)
 * and other engines load. A separate entry point, so that code which never exports does not
 * bundle the protobuf runtime. `saveOnnxFile` in `@gd/nn/node` writes the bytes to a file.
 *
 * @packageDocumentation
 */
import {
  type AttentionAttrs,
  asVariable,
  type LayerNormAttrs,
  type OpName,
  type OpSpec,
  opTable,
  traceOps,
  Variable,
  type VariableLike,
} from '@gd/autograd';
import {
  conv2dGeometry,
  DTypeError,
  GdError,
  type Pool2dOptions,
  poolGeometry,
  ShapeError,
  type Size2d,
  scope,
  Tensor,
  tensor,
  ValueError,
} from '@gd/tensor';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d } from './conv.js';
import { Flatten, GELU, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh } from './layers.js';
import { type AnyModule, Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, Embedding, LayerNorm } from './normalization.js';
import { AttributeType, DataType, ModelProto } from './onnx/proto.js';
import { optionsOf } from './options.js';
import { registerRecurrentEmitters } from './rnn-onnx.js';

/** A model that cannot be exported: a layer without an ONNX emitter, or a graph ONNX cannot express. */
export class OnnxExportError extends GdError {
  constructor(message: string) {
    super('E_ONNX_EXPORT', message);
  }
}

/** Options of {@link toOnnx}. */
export interface ToOnnxOptions {
  /** The shape of one input, batch axis first, e.g. `[1, 784]`. */
  inputShape: readonly number[];
  /** The ONNX operator set to target, 13 to 22. Default 17. */
  opset?: number;
  /** Make the first axis of the input and output symbolic (`batch`), so any batch size runs. Default false. */
  dynamicBatch?: boolean;
  /**
   * More symbolic axes of the input, axis → name (e.g. `{ 1: 'sequence' }` for a sequence
   * model), so inputs of any size along them run. Export checks that the model's graph does not
   * depend on their sizes (a constant built from one would), and fails naming the axis if it does.
   */
  dynamicAxes?: Readonly<Record<number, string>>;
  /**
   * The input's dtype: 'int32' for a model that looks up token ids. Default: int32 when the first
   * layer is an Embedding, else the parameters' dtype.
   */
  inputDtype?: 'int32' | 'float32' | 'float64';
}

/** The lowest and highest operator sets toOnnx writes. */
export const ONNX_OPSETS = { min: 13, max: 22, default: 17 } as const;

// The ONNX IR version each operator set was released with (onnx/helper.py's VERSION_TABLE):
// the oldest IR that can carry it, so older runtimes load the file.
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };

// gd dtype → ONNX TensorProto.DataType. float64 models carry DOUBLE tensors end to end.
const ELEM_TYPE: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE' };

/** One axis of a value's shape: a size, or a symbolic name such as `batch`. */
export type Dim = number | string;

/** A value in the graph under construction: its name, (inferred) shape, and whether it holds int32 indices. */
export interface Value {
  /** The name of the graph value. */
  name: string;
  /** Its shape, symbolic axes by name. */
  shape: Dim[];
  /** Whether it holds int32 indices. */
  index?: boolean;
}

/** An ONNX attribute: an int, ints, a string, strings or a float. */
export type Attribute = number | number[] | string | string[] | { float: number };

/** What an emitter uses to add nodes to the graph. */
export interface EmitContext {
  /** The dotted path of the module being emitted, as in stateDict keys ('' for the model itself). */
  readonly path: string;
  /** The module being emitted. */
  readonly module: Module;
  /** The target operator set. */
  readonly opset: number;
  /**
   * Every tensor its forward was called with, in order, arrays of them flattened (an LSTM's
   * `[h0, c0]`); the first is the emitter's `x`.
   */
  readonly inputs: readonly Value[];
  /**
   * Adds a node `op(inputs)` and returns the name of its output. Integer attributes are numbers,
   * float attributes `{ float: x }`, lists of integers or strings arrays.
   */
  node(op: string, inputs: string[], attributes?: Record<string, Attribute>): string;
  /** Adds a node with `count` outputs (an LSTM's Y, Y_h, Y_c) and returns their names. */
  nodeOutputs(op: string, inputs: string[], count: number, attributes?: Record<string, Attribute>): string[];
  /** A 1-D int64 initializer holding `values` (axes, slice bounds, gather indices, reshape targets). */
  int64s(values: readonly number[]): string;
  /** The initializer of this module's parameter `field` (named by its stateDict key). */
  param(field: string): string;
  /** A Constant node holding a scalar in the model's dtype. */
  scalar(value: number): string;
  /** A Constant node holding a tensor of `dims` filled with `value`, in the model's dtype. */
  filled(value: number, dims: number[]): string;
  /** Throws an OnnxExportError naming the module's class and path. */
  fail(reason: string): never;
}

/**
 * Turns one module into ONNX nodes: takes the (first) input value, returns the output value, or
 * the values of a forward that returns an array of tensors, flattened in order.
 */
export type Emitter<M extends AnyModule> = (module: M, x: Value, cx: EmitContext) => Value | Value[];

/** Any Module class (an emitter's key). */
// biome-ignore lint/suspicious/noExplicitAny: a table of emitters, each typed by its own class
export type AnyClass = abstract new (...args: any[]) => AnyModule;
const emitter = <C extends AnyClass>(cls: C, emit: Emitter<InstanceType<C>>): [AnyClass, Emitter<Module>] => [cls, emit as Emitter<Module>];

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * The layers exported by an emitter of their own instead of by tracing their forward: a fused
 * ONNX operator (Gemm, Conv, LayerNormalization…) where the trace would give several nodes, or a
 * layer whose forward an ONNX graph cannot follow (RNN, LSTM and GRU, whose loop over time
 * rnn-onnx.ts writes as ONNX's recurrent operators). Every other module — Sequential, the
 * attention and Transformer layers, a user's own — is exported by tracing the ops of its
 * forward through the op registry's ONNX lowerings (below). registerOnnxEmitter() adds an entry beside its layer. An entry:
 * emit its nodes with `cx.node`, reference its parameters with `cx.param('weight')` (any
 * stateDict entry of the module, buffers such as running statistics too; the initializers then
 * carry the stateDict names), constants with `cx.scalar`, reject inputs it cannot take with
 * `cx.fail` (or a ShapeError), and return the output's name and inferred shape. Integer-list attributes (kernel_shape, strides, pads) are
 * plain arrays. The emitter describes the layer in evaluation mode (Dropout is the identity; a
 * normalisation layer uses its running statistics). Classes are matched exactly, so a subclass
 * that overrides forward() is not exported with its parent's emitter by mistake. Then add the
 * class to the list in toOnnx's doc comment and the README, and a model using it to the ONNX
 * Runtime tests in test/onnx.test.ts.
 */
const EMITTERS = new Map<AnyClass, Emitter<Module>>([
  emitter(Linear, (m, x, cx) => {
    const last = x.shape[x.shape.length - 1];
    if (x.shape.length === 0 || last !== m.inFeatures) {
      throw new ShapeError(`toOnnx: ${describe(m, cx.path)} expects [..., ${m.inFeatures}] inputs; it gets ${fmt(x.shape)}`);
    }
    const shape = [...x.shape.slice(0, -1), m.outFeatures];
    const weight = cx.param('weight');
    const bias = m.bias ? [cx.param('bias')] : [];
    // Gemm computes x·Wᵀ + b in one node for the usual [batch, in] input; other ranks use MatMul.
    if (x.shape.length === 2) return { name: cx.node('Gemm', [x.name, weight, ...bias], { transB: 1 }), shape };
    const y = cx.node('MatMul', [x.name, cx.node('Transpose', [weight], { perm: [1, 0] })]);
    return { name: bias.length > 0 ? cx.node('Add', [y, bias[0]!]) : y, shape };
  }),
  emitter(ReLU, (_m, x, cx) => ({ name: cx.node('Relu', [x.name]), shape: x.shape })),
  emitter(LeakyReLU, (m, x, cx) => ({ name: cx.node('LeakyRelu', [x.name], { alpha: { float: m.slope } }), shape: x.shape })),
  emitter(Sigmoid, (_m, x, cx) => ({ name: cx.node('Sigmoid', [x.name]), shape: x.shape })),
  emitter(Tanh, (_m, x, cx) => ({ name: cx.node('Tanh', [x.name]), shape: x.shape })),
  emitter(GELU, (m, x, cx) => ({ name: gelu(cx, x.name, m.approximate), shape: x.shape })),
  emitter(Softmax, (m, x, cx) => {
    const r = x.shape.length;
    if (!(m.axis >= -r && m.axis < r)) cx.fail(`axis ${m.axis} is out of range for ${fmt(x.shape)} inputs`);
    return { name: cx.node('Softmax', [x.name], { axis: m.axis }), shape: x.shape };
  }),
  emitter(Flatten, (_m, x, cx) => {
    if (x.shape.length === 0) cx.fail('needs inputs of rank ≥ 1');
    const rest = x.shape.slice(1);
    if (rest.some((d) => typeof d !== 'number')) cx.fail(`only the first axis may be symbolic; input is ${fmt(x.shape)}`);
    return { name: cx.node('Flatten', [x.name], { axis: 1 }), shape: [x.shape[0]!, (rest as number[]).reduce((a, b) => a * b, 1)] };
  }),
  emitter(Conv2d, (m, x, cx) => {
    const [n, c, h, w] = spatial(x, cx);
    const g = conv2dGeometry(`toOnnx: ${describe(m, cx.path)}`, [1, c, h, w], m.weight.shape, m.options);
    // 'same' with an odd total padding puts the extra row/column at the bottom/right
    const same = m.options.padding === 'same';
    const bottom = same ? g.dh * (g.kh - 1) - g.ph : g.ph;
    const right = same ? g.dw * (g.kw - 1) - g.pw : g.pw;
    const bias = m.bias ? [cx.param('bias')] : [];
    const y = cx.node('Conv', [x.name, cx.param('weight'), ...bias], {
      kernel_shape: [g.kh, g.kw],
      strides: [g.sh, g.sw],
      pads: [g.ph, g.pw, bottom, right],
      dilations: [g.dh, g.dw],
      group: g.groups,
    });
    return { name: y, shape: [n, g.oc, g.oh, g.ow] };
  }),
  emitter(MaxPool2d, (m, x, cx) => pool('MaxPool', m.kernelSize, m.options, x, cx, {})),
  // gd averages over the whole window, zero padding included (PyTorch's count_include_pad).
  emitter(AvgPool2d, (m, x, cx) => pool('AveragePool', m.kernelSize, m.options, x, cx, { count_include_pad: 1 })),
  emitter(AdaptiveAvgPool2d, (m, x, cx) => {
    const [n, c, h, w] = spatial(x, cx);
    const [oh, ow] = typeof m.outputSize === 'number' ? [m.outputSize, m.outputSize] : m.outputSize;
    if (oh === 1 && ow === 1) return { name: cx.node('GlobalAveragePool', [x.name]), shape: [n, c, 1, 1] };
    // Equal windows only: an output cell i averages rows ⌊i·H/oH⌋ … ⌈(i + 1)·H/oH⌉ − 1, one fixed
    // AveragePool window when oH divides H (likewise W).
    if (h % oh !== 0 || w % ow !== 0) cx.fail(`output size [${oh}, ${ow}] must divide the input's [${h}, ${w}] (or be 1)`);
    const k = [h / oh, w / ow];
    return { name: cx.node('AveragePool', [x.name], { kernel_shape: k, strides: k }), shape: [n, c, oh, ow] };
  }),
  emitter(BatchNorm1d, (m, x, cx) => batchNorm(m, [2, 3], x, cx)),
  emitter(BatchNorm2d, (m, x, cx) => batchNorm(m, [4], x, cx)),
  emitter(LayerNorm, (m, x, cx) => {
    if (cx.opset < 17) cx.fail(`LayerNormalization needs opset 17 or later; the export targets opset ${cx.opset}`);
    const k = m.normalizedShape.length;
    const tail = x.shape.slice(x.shape.length - k);
    if (x.shape.length < k || tail.join() !== m.normalizedShape.join()) {
      throw new ShapeError(`toOnnx: ${describe(m, cx.path)} normalises over ${fmt(m.normalizedShape)}; its input is ${fmt(x.shape)}`);
    }
    const scale = m.weight ? cx.param('weight') : cx.filled(1, m.normalizedShape);
    const bias = m.bias ? [cx.param('bias')] : [];
    const y = cx.node('LayerNormalization', [x.name, scale, ...bias], { axis: -k, epsilon: { float: m.eps } });
    return { name: y, shape: x.shape };
  }),
  emitter(Embedding, (m, x, cx) => {
    if (!x.index) cx.fail('it looks up int32 indices, so it must be the first layer of the model (its input is int32)');
    return { name: cx.node('Gather', [cx.param('weight'), x.name], { axis: 0 }), shape: [...x.shape, m.embeddingDim] };
  }),
]);

/**
 * Registers the ONNX emitter of a layer class (matched exactly, not its subclasses): export then
 * writes the emitter's nodes for each instance instead of tracing its forward. The emitter gets
 * the module, its (first) input and an EmitContext.
 */
export function registerOnnxEmitter<C extends AnyClass>(cls: C, emit: Emitter<InstanceType<C>>): void {
  if (typeof cls !== 'function') throw new ValueError(`registerOnnxEmitter: expected a Module class, got ${typeOf(cls)}`);
  EMITTERS.set(cls, emit as Emitter<Module>);
}
// RNN, LSTM and GRU as ONNX's recurrent operators, registered beside the layers
registerRecurrentEmitters();

/** The [N, C, H, W] of a convolution's or pooling's input, C, H and W known. */
function spatial(x: Value, cx: EmitContext): [Dim, number, number, number] {
  const [n, ...chw] = x.shape;
  if (x.shape.length !== 4 || chw.some((d) => typeof d !== 'number')) {
    throw new ShapeError(`toOnnx: ${describe(cx.module, cx.path)} expects [N, C, H, W] inputs; it gets ${fmt(x.shape)}`);
  }
  return [n!, ...(chw as [number, number, number])];
}

function pool(
  op: 'MaxPool' | 'AveragePool',
  kernelSize: Size2d,
  options: Pool2dOptions,
  x: Value,
  cx: EmitContext,
  extra: Record<string, Attribute>,
): Value {
  const [n, c, h, w] = spatial(x, cx);
  const g = poolGeometry(`toOnnx: ${describe(cx.module, cx.path)}`, [1, c, h, w], kernelSize, options);
  const y = cx.node(op, [x.name], { kernel_shape: [g.kh, g.kw], strides: [g.sh, g.sw], pads: [g.ph, g.pw, g.ph, g.pw], ...extra });
  return { name: y, shape: [n, c, g.oh, g.ow] };
}

/** BatchNorm in evaluation mode: BatchNormalization with the running statistics (ones and zeros without affine). */
function batchNorm(m: BatchNorm1d | BatchNorm2d, ranks: number[], x: Value, cx: EmitContext): Value {
  if (!ranks.includes(x.shape.length) || x.shape[1] !== m.numFeatures) {
    throw new ShapeError(
      `toOnnx: ${describe(m, cx.path)} expects rank ${ranks.join(' or ')} inputs with ${m.numFeatures} channels on axis 1; it gets ${fmt(x.shape)}`,
    );
  }
  const scale = m.weight ? cx.param('weight') : cx.filled(1, [m.numFeatures]);
  const bias = m.bias ? cx.param('bias') : cx.filled(0, [m.numFeatures]);
  const y = cx.node('BatchNormalization', [x.name, scale, bias, cx.param('running_mean'), cx.param('running_var')], {
    epsilon: { float: m.eps },
  });
  return { name: y, shape: x.shape };
}

/** The first module that computes something: the first leaf of nested Sequentials. */
function firstLeaf(m: AnyModule): AnyModule {
  let cur = m;
  while (cur instanceof Sequential) {
    const first = cur.namedChildren()[0];
    if (first === undefined) break;
    cur = first[1];
  }
  return cur;
}

const fmt = (shape: readonly Dim[]) => `[${shape.join(', ')}]`;
const describe = (m: AnyModule, path: string) => `${m.constructor.name} at ${path === '' ? 'the root of the model' : `'${path}'`}`;

function checkOptions(
  model: unknown,
  options: ToOnnxOptions,
): { inputShape: number[]; opset: number; dynamic: Map<number, string>; inputDtype: ToOnnxOptions['inputDtype'] } {
  if (!(model instanceof Module)) throw new ValueError(`toOnnx: model must be a Module, got ${typeOf(model)}`);
  if (options === null || typeof options !== 'object')
    throw new ValueError(`toOnnx: options must be an object with inputShape, got ${typeOf(options)}`);
  optionsOf('toOnnx', options, { inputShape: true, opset: true, dynamicBatch: true, dynamicAxes: true, inputDtype: true });
  const { inputShape, opset = ONNX_OPSETS.default, dynamicBatch = false, dynamicAxes = {}, inputDtype } = options;
  if (inputDtype !== undefined && inputDtype !== 'int32' && inputDtype !== 'float32' && inputDtype !== 'float64')
    throw new ValueError(`toOnnx: inputDtype must be 'int32', 'float32' or 'float64', got ${JSON.stringify(inputDtype)}`);
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(
      `toOnnx: inputShape must be a non-empty array of positive integers (batch first), got ${JSON.stringify(inputShape)}`,
    );
  }
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new ValueError(`toOnnx: opset must be an integer from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}, got ${opset}`);
  }
  if (typeof dynamicBatch !== 'boolean') throw new ValueError(`toOnnx: dynamicBatch must be a boolean, got ${typeOf(dynamicBatch)}`);
  if (dynamicAxes === null || typeof dynamicAxes !== 'object' || Array.isArray(dynamicAxes))
    throw new ValueError(`toOnnx: dynamicAxes must be an object of axis → name, got ${typeOf(dynamicAxes)}`);
  const dynamic = new Map<number, string>();
  if (dynamicBatch) dynamic.set(0, 'batch');
  for (const [k, name] of Object.entries(dynamicAxes)) {
    const axis = Number(k);
    if (!Number.isInteger(axis) || axis < 0 || axis >= inputShape.length || typeof name !== 'string' || name === '') {
      throw new ValueError(
        `toOnnx: dynamicAxes must map axes 0…${inputShape.length - 1} of the input to names, got ${JSON.stringify(dynamicAxes)}`,
      );
    }
    dynamic.set(axis, name);
  }
  return { inputShape: [...inputShape], opset, dynamic, inputDtype };
}

const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;

/** Little-endian bytes of values in a dtype, as TensorProto.raw_data holds them. */
function rawData(values: ArrayLike<number>, dtype: string): Uint8Array {
  const size = dtype === 'float64' || dtype === 'int64' ? 8 : 4;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float64') view.setFloat64(i * 8, values[i]!, true);
    else if (dtype === 'float32') view.setFloat32(i * 4, values[i]!, true);
    else if (dtype === 'int64') view.setBigInt64(i * 8, BigInt(values[i]!), true);
    else view.setInt32(i * 4, values[i]!, true);
  }
  return out;
}

// The sizes a symbolic axis takes in the two traces of an export: primes no layer is likely to
// have, so a size seen in the graph can be told to come from the axis; the two traces must give
// the same graph.
const TRACE_SIZES = [
  [13, 17, 19, 23, 29],
  [31, 37, 41, 43, 47],
];

/** Where the sizes of the symbolic axes come from: size → the axis's name and position in the input. */
type DynSizes = Map<number, { name: string; axis: number }>;

/** What an op's ONNX lowering uses: EmitContext's node and constants, plus shape helpers. */
export interface LowerContext {
  /** The target operator set. */
  readonly opset: number;
  /** Adds a node and returns its output's name (as EmitContext.node). */
  node(op: string, inputs: string[], attributes?: Record<string, Attribute>): string;
  /** A 1-D int64 tensor of these sizes; a size that comes from a symbolic axis is read from the input's shape at run time. */
  sizes(values: readonly number[]): string;
  /** A 0-D int64 constant (an axis, a diagonal offset): a number, never read as a size. */
  int64(value: number): string;
  /** A constant tensor (its dtype's ONNX type). */
  constant(t: Tensor): string;
  /** A scalar constant of the graph's float dtype. */
  scalar(value: number): string;
  /** The symbolic form of a traced shape. */
  shape(dims: readonly number[]): Dim[];
  /** Throws an OnnxExportError about this op. */
  fail(reason: string): never;
}

/** One op of the registry as ONNX nodes: its inputs' values, its attributes and its traced node → its output's name. */
type Lowering = (cx: LowerContext, xs: string[], attrs: never, v: Variable) => string;

const axesOf = (axis: number | number[] | undefined, rank: number): number[] =>
  axis === undefined
    ? Array.from({ length: rank }, (_, i) => i)
    : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));

/** A reduction: axes as an input from opset 18 (ReduceSum from 13), as an attribute before. */
function reduce(op: string, inputAxesFrom: number) {
  return (cx: LowerContext, [x]: string[], attrs: { axis?: number | number[]; keepDims?: boolean }, v: Variable) => {
    const axes = axesOf(attrs.axis, v.parents[0]!.rank);
    const keepdims = attrs.keepDims ? 1 : 0;
    if (cx.opset >= inputAxesFrom) return cx.node(op, [x!, cx.sizes(axes)], { keepdims });
    return cx.node(op, [x!], { axes, keepdims });
  };
}

/**
 * The ONNX lowering of a recorded op: the one its entry in @gd/autograd's op table declares (the
 * elementwise ops: an operator name, or nodes built from the inputs), else this file's LOWERINGS.
 * Export traces a forward and writes each recorded op with its lowering; an op without one cannot
 * be exported.
 */
function loweringOf(op: string): Lowering | undefined {
  const own = LOWERINGS[op];
  if (own) return own;
  const declared = Object.hasOwn(opTable, op) ? (opTable[op as OpName] as OpSpec<unknown>).onnx : undefined;
  if (declared === undefined) return undefined;
  if (typeof declared === 'string') return (cx, xs) => cx.node(declared, xs);
  return (cx, xs, attrs) => declared(cx, xs, attrs);
}

/** The ops whose ONNX form needs more than the registry's builder (sizes, constants, the traced node), by name. */
const LOWERINGS: Record<string, Lowering> = {
  gelu: (cx, [x], { approximate }: { approximate: 'none' | 'tanh' }) => gelu(cx, x!, approximate),
  tril: (cx, [x], { k }: { k: number }) => trilu(cx, x!, k, 0),
  triu: (cx, [x], { k }: { k: number }) => trilu(cx, x!, k, 1),
  maskedFill: (cx, [x], { mask, value }: { mask: Tensor; value: number }) =>
    cx.node('Where', [cx.node('Cast', [cx.constant(mask)], { to: DataType.BOOL! }), cx.scalar(value), x!]),
  cumsum: (cx, [x], { axis }: { axis: number }) => cx.node('CumSum', [x!, cx.int64(axis)]),
  where: (cx, [a, b], { cond }: { cond: Tensor }) =>
    cx.node('Where', [cx.node('Cast', [cx.constant(cond)], { to: DataType.BOOL! }), a!, b!]),
  matmul: (cx, [a, b], { transposeA, transposeB }: { transposeA: boolean; transposeB: boolean }, v) => {
    const swap = (x: string, rank: number) => {
      const perm = Array.from({ length: rank }, (_, i) => i);
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
      return cx.node('Transpose', [x], { perm });
    };
    return cx.node('MatMul', [transposeA ? swap(a!, v.parents[0]!.rank) : a!, transposeB ? swap(b!, v.parents[1]!.rank) : b!]);
  },
  sum: reduce('ReduceSum', 13),
  mean: reduce('ReduceMean', 18),
  max: reduce('ReduceMax', 18),
  min: reduce('ReduceMin', 18),
  logSumExp: reduce('ReduceLogSumExp', 18),
  softmax: (cx, [x], { axis }: { axis: number }) => cx.node('Softmax', [x!], { axis }),
  logSoftmax: (cx, [x], { axis }: { axis: number }) => cx.node('LogSoftmax', [x!], { axis }),
  reshape: (cx, [x], { shape }: { shape: number[] }) => cx.node('Reshape', [x!, cx.sizes(shape)]),
  transpose: (cx, [x], { perm }: { perm?: number[] }, v) => {
    const r = v.parents[0]!.rank;
    const p = (perm ?? Array.from({ length: r }, (_, i) => r - 1 - i)).map((a) => (a < 0 ? a + r : a));
    return cx.node('Transpose', [x!], { perm: p });
  },
  broadcastTo: (cx, [x], { shape }: { shape: number[] }) => cx.node('Expand', [x!, cx.sizes(shape)]),
  slice: (cx, [x], { begin }: { begin: number[] }, v) => {
    const shape = v.parents[0]!.shape;
    const starts = shape.map((d, i) => ((begin[i] ?? 0) < 0 ? begin[i]! + d : (begin[i] ?? 0)));
    const ends = starts.map((st, i) => st + v.shape[i]!);
    // an axis taken whole is left out, so it may be symbolic
    const axes = shape.map((_, i) => i).filter((i) => !(starts[i] === 0 && ends[i] === shape[i]));
    if (axes.length === 0) return cx.node('Identity', [x!]);
    return cx.node('Slice', [x!, cx.sizes(axes.map((i) => starts[i]!)), cx.sizes(axes.map((i) => ends[i]!)), cx.sizes(axes)]);
  },
  gather: (cx, [x], { indices, axis }: { indices: Tensor; axis: number }) => cx.node('Gather', [x!, cx.constant(indices)], { axis }),
  concat: (cx, xs, { axis }: { axis: number }) => cx.node('Concat', xs, { axis }),
  cast: (cx, [x], { dtype }: { dtype: string }) => cx.node('Cast', [x!], { to: DataType[ONNX_TYPE[dtype]!]! }),
  // the fused op as the generic ops it stands for: softmax(q·kᵀ·scale + mask)·v
  scaledDotProductAttention: (cx, [q, k, vv, mask], { scale, isCausal, headsLast }: AttentionAttrs, v) => {
    const [qs, ks] = [v.parents[0]!.shape, v.parents[1]!.shape];
    const rank = qs.length;
    const heads = (x: string) => (headsLast ? cx.node('Transpose', [x], { perm: [0, 2, 1, 3] }) : x);
    const swap = Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
    const kt = cx.node('Transpose', [heads(k!)], { perm: swap });
    let scores = cx.node('Mul', [cx.node('MatMul', [heads(q!), kt]), cx.scalar(scale)]);
    if (mask !== undefined) scores = cx.node('Add', [scores, mask]);
    else if (isCausal) {
      // −∞ expanded to [L, S] and its triangle above the diagonal, of the traced sizes (as the
      // composed form's causal mask), so a symbolic sequence length stays symbolic
      const [l, s] = headsLast ? [qs[1]!, ks[1]!] : [qs[rank - 2]!, ks[rank - 2]!];
      const inf = cx.node('Expand', [cx.scalar(Number.NEGATIVE_INFINITY), cx.sizes([l, s])]);
      scores = cx.node('Add', [scores, trilu(cx, inf, 1, 1)]);
    }
    return heads(cx.node('MatMul', [cx.node('Softmax', [scores], { axis: rank - 1 }), heads(vv!)]));
  },
  linear: (cx, [x, w, b], { hasBias }: { hasBias: boolean }) => {
    const y = cx.node('MatMul', [x!, cx.node('Transpose', [w!], { perm: [1, 0] })]);
    return hasBias ? cx.node('Add', [y, b!]) : y;
  },
  // the fused op as the generic ops it stands for, at any opset: (x − μ)/√(σ² + eps)·w + b
  layerNorm: (cx, [x, ...ps], { normalizedShape, eps, hasWeight, hasBias }: LayerNormAttrs, v) => {
    const rank = v.parents[0]!.rank;
    const axes = normalizedShape.map((_, i) => rank - normalizedShape.length + i);
    const mean = (t: string) =>
      cx.opset >= 18 ? cx.node('ReduceMean', [t, cx.sizes(axes)], { keepdims: 1 }) : cx.node('ReduceMean', [t], { axes, keepdims: 1 });
    const c = cx.node('Sub', [x!, mean(x!)]);
    let y = cx.node('Div', [c, cx.node('Sqrt', [cx.node('Add', [mean(cx.node('Mul', [c, c])), cx.scalar(eps)])])]);
    if (hasWeight) y = cx.node('Mul', [y, ps[0]!]);
    if (hasBias) y = cx.node('Add', [y, ps[hasWeight ? 1 : 0]!]);
    return y;
  },
  lstmCell: (cx, xs, _, v) => lstmCellNodes(cx, xs, v),
  gruCell: (cx, xs, _, v) => gruCellNodes(cx, xs, v),
  squaredError: (cx, [p, t], { scale }: { scale: number }) => {
    const d = cx.node('Sub', [p!, t!]);
    return cx.node('Mul', [cx.node('ReduceSum', [cx.node('Mul', [d, d])], { keepdims: 0 }), cx.scalar(scale)]);
  },
};

/** gd dtype → ONNX TensorProto.DataType name. */
const ONNX_TYPE: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE', int32: 'INT32', int64: 'INT64' };

/** Columns [k·H, (k + 1)·H) of a [n, gates·H] value: one gate. */
function gateOf(cx: LowerContext, x: string, k: number, hidden: number): string {
  return cx.node('Slice', [x, cx.sizes([k * hidden]), cx.sizes([(k + 1) * hidden]), cx.sizes([1])]);
}

/** The fused LSTM cell as its gate math: [h', c'] stacked on a new first axis, as lstmCell's output. */
function lstmCellNodes(cx: LowerContext, [xg, hg, c]: string[], v: Variable): string {
  const [n, hidden] = v.parents[2]!.shape as [number, number];
  const a = cx.node('Add', [xg!, hg!]);
  const [i, f, g, o] = [0, 1, 2, 3].map((k) => cx.node(k === 2 ? 'Tanh' : 'Sigmoid', [gateOf(cx, a, k, hidden)])) as [
    string,
    string,
    string,
    string,
  ];
  const cn = cx.node('Add', [cx.node('Mul', [f, c!]), cx.node('Mul', [i, g])]);
  const h = cx.node('Mul', [o, cx.node('Tanh', [cn])]);
  const lift = (x: string) => cx.node('Reshape', [x, cx.sizes([1, n, hidden])]);
  return cx.node('Concat', [lift(h), lift(cn)], { axis: 0 });
}

/** The fused GRU cell as its gate math: n = tanh(x_n + r⊙h_n), h' = n + z⊙(h − n). */
function gruCellNodes(cx: LowerContext, [xg, hg, h]: string[], v: Variable): string {
  const hidden = v.parents[2]!.shape[1]!;
  const [r, z] = [0, 1].map((k) => cx.node('Sigmoid', [cx.node('Add', [gateOf(cx, xg!, k, hidden), gateOf(cx, hg!, k, hidden)])])) as [
    string,
    string,
  ];
  const nn = cx.node('Tanh', [cx.node('Add', [gateOf(cx, xg!, 2, hidden), cx.node('Mul', [r, gateOf(cx, hg!, 2, hidden)])])]);
  return cx.node('Add', [nn, cx.node('Mul', [z, cx.node('Sub', [h!, nn])])]);
}

/** Trilu (opset 14): the triangle of the last two axes about diagonal k, lower (0) or upper (1). */
function trilu(cx: LowerContext, x: string, k: number, upper: number): string {
  if (cx.opset < 14) cx.fail(`tril/triu need the Trilu operator of opset 14 or later; the export targets opset ${cx.opset}`);
  return cx.node('Trilu', [x, cx.int64(k)], { upper });
}

/**
 * GELU in the form given: from opset 20 the Gelu operator with its `approximate` attribute;
 * before that its formula, ½·x·(1 + erf(x/√2)) for the exact form and
 * ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) for the tanh form, in gd's order of operations.
 */
function gelu(
  cx: { opset: number; node: LowerContext['node']; scalar(v: number): string },
  x: string,
  approximate: 'none' | 'tanh',
): string {
  if (cx.opset >= 20) return cx.node('Gelu', [x], { approximate });
  const half = cx.node('Mul', [cx.scalar(0.5), x]);
  if (approximate === 'none') {
    const erf = cx.node('Erf', [cx.node('Mul', [x, cx.scalar(Math.SQRT1_2)])]);
    return cx.node('Mul', [half, cx.node('Add', [cx.scalar(1), erf])]);
  }
  const x3 = cx.node('Mul', [cx.node('Mul', [x, x]), x]);
  const inner = cx.node('Mul', [cx.scalar(GELU_C), cx.node('Add', [x, cx.node('Mul', [cx.scalar(0.044715), x3])])]);
  return cx.node('Mul', [half, cx.node('Add', [cx.scalar(1), cx.node('Tanh', [inner])])]);
}

/** A traced graph, ready to encode. */
interface Built {
  nodes: Array<{ name: string; op_type: string; input: string[]; output: string[]; attribute: object[] }>;
  initializers: Array<{ name: string; data_type: number; dims: number[]; raw_data: Uint8Array }>;
  input: Value;
  outputs: Array<Value & { elem?: string }>;
}

/** The modules of a model by object, with their stateDict paths ('' for the model). */
function modulePaths(model: AnyModule): Map<AnyModule, string> {
  const paths = new Map<AnyModule, string>();
  const walk = (m: AnyModule, path: string) => {
    if (!paths.has(m)) paths.set(m, path);
    for (const [name, c] of m.namedChildren()) walk(c, path === '' ? name : `${path}.${name}`);
  };
  walk(model, '');
  return paths;
}

/**
 * Traces `model.forward` on an input of `shape` (the symbolic axes at the given sizes) and writes
 * the graph: modules with an emitter as one module node each, every other op by its lowering.
 */
function build(
  model: AnyModule,
  state: Record<string, Tensor>,
  shape: number[],
  dyn: DynSizes,
  opset: number,
  dtype: string,
  index: boolean,
  symbolic: Map<number, string>,
  fill: number,
): Built {
  const elem = DataType[ELEM_TYPE[dtype]!]!;
  const nodes: Built['nodes'] = [];
  const initializers = new Map<string, Built['initializers'][number]>();
  const used = new Map<string, number>();
  const fresh = (base: string) => {
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const paramOf = new Map<Tensor, string>();
  for (const [k, t] of Object.entries(state)) if (!paramOf.has(t)) paramOf.set(t, k);
  const paths = modulePaths(model);
  const training = new Map<AnyModule, boolean>([...paths.keys()].map((m) => [m, m.training]));
  const wrapped: AnyModule[] = [];

  const addNodeOutputs = (prefix: string, op: string, inputs: string[], count: number, attributes: Record<string, Attribute> = {}) => {
    const name = fresh(`${prefix}/${op}`);
    const output = Array.from({ length: count }, (_, i) => (i === 0 ? `${name}_output` : `${name}_output_${i}`));
    nodes.push({ name, op_type: op, input: inputs, output, attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)) });
    return output;
  };
  const addNode = (prefix: string, op: string, inputs: string[], attributes: Record<string, Attribute> = {}): string =>
    addNodeOutputs(prefix, op, inputs, 1, attributes)[0]!;
  const addInitializer = (base: string, dt: string, dims: number[], values: ArrayLike<number>): string => {
    const name = fresh(base);
    initializers.set(name, { name, data_type: DataType[ONNX_TYPE[dt]!]!, dims, raw_data: rawData(values, dt) });
    return name;
  };
  const filledConstant = (prefix: string, value: number, dims: number[]): string => {
    const out = addNode(prefix, 'Constant', []);
    const node = nodes[nodes.length - 1]!;
    const values = new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value);
    node.attribute.push({ name: 'value', type: AttributeType.TENSOR, t: { data_type: elem, dims, raw_data: rawData(values, dtype) } });
    return out;
  };
  const symShape = (dims: readonly number[]): Dim[] => dims.map((d) => dyn.get(d)?.name ?? d);
  // an output axis that is a product of symbolic sizes (a flattened batch) is named by it
  const outShape = (dims: readonly number[]): Dim[] =>
    dims.map((d) => {
      let rest = d;
      const names: string[] = [];
      for (const [size, { name }] of dyn)
        while (rest !== 0 && rest % size === 0) {
          names.push(name);
          rest /= size;
        }
      return names.length === 0 ? d : [...names, ...(rest === 1 ? [] : [String(rest)])].join('*');
    });
  // a size read from the input's shape at run time: one int64 element
  const runtimeSize = (prefix: string, axis: number): string => {
    const shapeOf = addNode(prefix, 'Shape', ['input']);
    return addNode(prefix, 'Gather', [shapeOf, addInitializer('axis', 'int64', [1], [axis])], { axis: 0 });
  };
  /** The int64 sizes tensor: constants, with each size that is a symbolic size times a constant read at run time. */
  const sizesOf = (prefix: string, values: readonly number[]): string => {
    const parts: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length > 0) parts.push(addInitializer('sizes', 'int64', [run.length], run));
      run = [];
    };
    for (const v of values) {
      let rest = v;
      const factors: number[] = [];
      for (const [size, { axis }] of dyn) {
        while (rest !== 0 && rest % size === 0) {
          factors.push(axis);
          rest /= size;
        }
      }
      if (factors.length === 0) {
        run.push(v);
        continue;
      }
      flush();
      let p = runtimeSize(prefix, factors[0]!);
      for (const axis of factors.slice(1)) p = addNode(prefix, 'Mul', [p, runtimeSize(prefix, axis)]);
      if (rest !== 1) p = addNode(prefix, 'Mul', [p, addInitializer('sizes', 'int64', [1], [rest])]);
      parts.push(p);
    }
    flush();
    if (parts.length === 1) return parts[0]!;
    return addNode(prefix, 'Concat', parts, { axis: 0 });
  };

  return scope(() => {
    // evaluation mode for the trace (Dropout is the identity; normalisation uses running statistics)
    model.eval();
    try {
      // a module with its own emitter becomes one node of the trace: its forward still runs (the
      // values flow on), and its output records the module and its inputs instead of its ops
      // every other module's ops are tagged with its path as it returns (inner modules first), so
      // an op that cannot be exported is named with the module it is in
      const where = new Map<Variable, string>();
      const tag = (y: Variable, path: string) => {
        const stack = [y];
        while (stack.length > 0) {
          const v = stack.pop()!;
          if (where.has(v)) continue;
          where.set(v, path);
          stack.push(...v.parents);
        }
      };
      for (const [m, path] of paths) {
        const emit = EMITTERS.get(m.constructor as AnyClass);
        const original = Object.getPrototypeOf(m).forward as (...args: unknown[]) => unknown;
        Object.defineProperty(m, 'forward', {
          configurable: true,
          writable: true,
          value: (...args: unknown[]) => {
            const out = original.apply(m, args);
            if (!emit) {
              if (out instanceof Variable) tag(out, path);
              return out;
            }
            // one module node; a forward that returns an array (an RNN's [output, hN]) gets one
            // 'moduleOutput' per tensor of it, in the same nesting
            const inputs = tensorsIn(args).map((a) => asVariable(a));
            if (!Array.isArray(out))
              return new Variable(asVariable(out as VariableLike).value, false, 'module', inputs, null, undefined, { module: m, path });
            const first = tensorsIn(out)[0];
            if (first === undefined) return out;
            const node = new Variable(asVariable(first).value, false, 'module', inputs, null, undefined, { module: m, path });
            let k = 0;
            const rebuild = (o: unknown): unknown =>
              Array.isArray(o)
                ? o.map(rebuild)
                : o instanceof Variable || o instanceof Tensor
                  ? new Variable(asVariable(o).value, false, 'moduleOutput', [node], null, undefined, { index: k++ })
                  : o;
            return rebuild(out);
          },
        });
        wrapped.push(m);
      }
      // varied values, of both signs (and ids 0 and 1), different in each trace: a value computed
      // from the input outside the recorded ops (a sign, a comparison, an argmax) then differs too
      const size = shape.reduce((a, b) => a * b, 1);
      const traceValues = Array.from({ length: size }, (_, i) =>
        index ? (i + fill) % 2 : Math.sin((i + 1) * (fill === 1 ? 12.9898 : 78.233)) * (fill === 1 ? 1 : 1.5),
      );
      const x = tensor(traceValues, { shape, dtype: index ? 'int32' : (dtype as 'float32' | 'float64') });
      let out: unknown;
      try {
        out = traceOps(() => (model as unknown as { forward(x: Tensor): unknown }).forward(x));
      } catch (e) {
        // the layer's own error, said as export's, in its own class
        if (e instanceof GdError) {
          const Class = e.constructor as new (message: string) => GdError;
          const again = new Class(`toOnnx: the model's forward fails on an input of ${fmt(input0(shape, symbolic))}: ${e.message}`);
          if (again instanceof GdError && again.constructor === Class) throw again;
        }
        throw e;
      }
      // one tensor, or several (an RNN's [output, hN], nested arrays flattened in order)
      const flat: unknown[] = [];
      const flatten = (o: unknown) => (Array.isArray(o) ? o.forEach(flatten) : flat.push(o));
      flatten(out);
      if (flat.length === 0 || flat.some((o) => !(o instanceof Variable) && !(o instanceof Tensor))) {
        throw new OnnxExportError(
          `toOnnx: the model's forward returned ${typeOf(out)}; export needs tensors out (one, or an array of them)`,
        );
      }
      const ys = flat.map((o) => asVariable(o as VariableLike));
      const input: Value = { name: 'input', shape: shape.map((d, i) => symbolic.get(i) ?? d), index };

      // walk the graph from the output, inputs before the nodes that use them
      const values = new Map<Variable, string>();
      const constants = new Map<Tensor, string>();
      const order: Variable[] = [];
      const seen = new Set<Variable>(ys);
      const stack: Array<[Variable, number]> = ys.map((y) => [y, 0]);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const [v, next] = top;
        if (next < v.parents.length) {
          top[1]++;
          const p = v.parents[next]!;
          if (!seen.has(p)) {
            seen.add(p);
            stack.push([p, 0]);
          }
        } else {
          order.push(v);
          stack.pop();
        }
      }
      const constantOf = (t: Tensor): string => {
        if (t === x) return 'input';
        const key = paramOf.get(t);
        if (key !== undefined) {
          if (!initializers.has(key))
            initializers.set(key, {
              name: key,
              data_type: elem,
              dims: [...t.shape],
              raw_data: rawData(t.data() as ArrayLike<number>, dtype),
            });
          return key;
        }
        let name = constants.get(t);
        if (name === undefined) {
          const dt = t.dtype === 'int32' ? 'int32' : dtype;
          name = addInitializer('const', dt, [...t.shape], t.cast(dt as 'float32' | 'float64' | 'int32').data() as ArrayLike<number>);
          constants.set(t, name);
        }
        return name;
      };
      const moduleOutputs = new Map<Variable, string[]>();
      for (const v of order) {
        if (v.op === 'moduleOutput') {
          const { index: k } = v.attrs as { index: number };
          const node = v.parents[0]!;
          const names = moduleOutputs.get(node) ?? [values.get(node)!];
          if (names[k] === undefined) {
            const { module, path } = node.attrs as { module: Module; path: string };
            throw new OnnxExportError(
              `toOnnx: the emitter of ${describe(module, path)} returned ${names.length} value(s); its forward returns more`,
            );
          }
          values.set(v, names[k]!);
          continue;
        }
        if (v.op === 'module') {
          const { module, path } = v.attrs as { module: Module; path: string };
          const scopeName = `/${path.replaceAll('.', '/')}`;
          const prefix = scopeName === '/' ? '' : scopeName;
          const ins: Value[] = v.parents.map((p) => ({ name: values.get(p)!, shape: symShape(p.shape), index: p.dtype === 'int32' }));
          const xin: Value = ins[0] ?? { name: 'input', shape: input.shape, index };
          const cx: EmitContext = {
            path,
            module,
            opset,
            inputs: ins.length > 0 ? ins : [xin],
            node: (op, inputs, attributes = {}) => addNode(prefix, op, inputs, attributes),
            nodeOutputs: (op, inputs, count, attributes = {}) => addNodeOutputs(prefix, op, inputs, count, attributes),
            int64s: (vals) => addInitializer('ints', 'int64', [vals.length], vals),
            param(field) {
              const key = path === '' ? field : `${path}.${field}`;
              const t = state[key];
              if (t === undefined) cx.fail(`it has no parameter '${key}'`);
              return constantOf(t);
            },
            scalar: (value) => filledConstant(prefix, value, []),
            filled: (value, dims) => filledConstant(prefix, value, dims),
            fail(reason): never {
              throw new OnnxExportError(`toOnnx: cannot export ${describe(module, path)}: ${reason}`);
            },
          };
          const emitted = EMITTERS.get(module.constructor as AnyClass)!(module, xin, cx);
          if (Array.isArray(emitted)) {
            moduleOutputs.set(
              v,
              emitted.map((e) => e.name),
            );
            values.set(v, emitted[0]!.name);
          } else values.set(v, emitted.name);
          continue;
        }
        if (v.parents.length === 0) {
          values.set(v, constantOf(v.value));
          continue;
        }
        const lower = loweringOf(v.op);
        const fail = (reason: string): never => {
          const path = where.get(v);
          const module = path === undefined ? undefined : [...paths].find(([, p]) => p === path)?.[0];
          const inside = module === undefined ? "the model's forward" : describe(module, path!);
          throw new OnnxExportError(`toOnnx: cannot export the op '${v.op}' in ${inside}: ${reason}`);
        };
        if (lower === undefined) fail(`it has no ONNX lowering (exportable layers: ${exportable()})`);
        const cx: LowerContext = {
          opset,
          node: (op, inputs, attributes) => addNode('', op, inputs, attributes),
          sizes: (vs) => sizesOf('', vs),
          int64: (value) => addInitializer('int', 'int64', [], [value]),
          constant: constantOf,
          scalar: (value) => filledConstant('', value, []),
          shape: symShape,
          fail,
        };
        values.set(
          v,
          lower!(
            cx,
            v.parents.map((p) => values.get(p)!),
            v.attrs as never,
            v,
          ),
        );
      }
      // the graph's results are named `output`, `output_1`, …: an Identity where a result is a
      // graph input, an initializer, or another result already
      const outputs: Built['outputs'] = [];
      const named = new Set<string>();
      ys.forEach((y, i) => {
        const want = i === 0 ? 'output' : `output_${i}`;
        let result = values.get(y)!;
        if (result === 'input' || initializers.has(result) || named.has(result)) result = addNode('', 'Identity', [result]);
        named.add(want);
        for (const n of nodes) {
          n.input = n.input.map((name) => (name === result ? want : name));
          n.output = n.output.map((name) => (name === result ? want : name));
        }
        outputs.push({ name: want, shape: outShape(y.shape), elem: y.dtype === 'int32' ? 'INT32' : ELEM_TYPE[y.dtype] });
      });
      return { nodes, initializers: [...initializers.values()], input, outputs };
    } finally {
      for (const m of wrapped) delete (m as unknown as Record<string, unknown>).forward;
      for (const [m, on] of training) m.training = on;
    }
  });
}

/** The tensors among a forward's arguments (or results), arrays of them flattened, in order. */
function tensorsIn(args: readonly unknown[]): VariableLike[] {
  const out: VariableLike[] = [];
  const walk = (a: unknown): void => {
    if (Array.isArray(a)) a.forEach(walk);
    else if (a instanceof Variable || a instanceof Tensor) out.push(a);
  };
  walk(args);
  return out;
}

/** The input's shape as the user gave it, symbolic axes by name. */
const input0 = (shape: readonly number[], symbolic: Map<number, string>): Dim[] => shape.map((d, i) => symbolic.get(i) ?? d);

/** The exportable layer classes, by name (for error messages). */
const exportable = () => [...EMITTERS.keys()].map((c) => c.name).join(', ');

/**
 * Exports a model to ONNX: returns the bytes of an ONNX ModelProto whose graph computes
 * `model.forward` in evaluation mode (Dropout is the identity), with one input `input` of
 * `inputShape` and one output `output` (a forward that returns an array of tensors, such as an
 * RNN's `[output, hN]`, has the outputs `output`, `output_1`, … in order). The forward is traced: each op it runs is written by its
 * ONNX lowering, so any model composed of exportable ops exports — Sequential, the attention and
 * Transformer layers, a user's own modules. Layers with an emitter of their own (Linear → Gemm,
 * Conv2d, the pools, BatchNorm1d/2d with their running statistics, LayerNorm → LayerNormalization
 * from opset 17, Embedding → Gather of int32 indices, the activations, RNN/LSTM/GRU → one ONNX
 * RNN/LSTM/GRU node per layer, so any sequence length runs; registerOnnxEmitter adds one) are
 * written by it. Parameters are stored as initializers named by their stateDict keys
 * (`0.weight`, …) in the parameters' dtype (float32 → FLOAT, float64 → DOUBLE); a constant the
 * forward uses becomes an initializer too. An op without a lowering throws OnnxExportError
 * naming it.
 *
 * `dynamicBatch` and `dynamicAxes` make input axes symbolic: export traces the model at two sizes
 * of each, reads any size that comes from them at run time (a reshape to `[batch, sequence, h,
 * d]`), and fails naming the axis if the two traces differ (a constant built from its size).
 *
 * @example
 * ```ts
 * const bytes = toOnnx(mlp([784, 128, 10]), { inputShape: [1, 784], dynamicBatch: true });
 * ```
 */
export function toOnnx(model: AnyModule, options: ToOnnxOptions): Uint8Array {
  const { inputShape, opset, dynamic, inputDtype } = checkOptions(model, options);
  const state = model.stateDict();
  // Integer buffers (BatchNorm's num_batches_tracked) only count training steps: the graph never reads them.
  const dtypes = [...new Set(Object.values(state).map((t) => t.dtype as string))].filter((d) => d !== 'int32');
  if (dtypes.length > 1) throw new DTypeError(`toOnnx: the parameters mix dtypes (${dtypes.join(', ')}); export needs one`);
  const dtype = dtypes[0] ?? 'float32';
  const elemType = ELEM_TYPE[dtype];
  if (elemType === undefined) throw new DTypeError(`toOnnx: parameters of dtype ${dtype} cannot be exported; float32 or float64 can`);
  const elem = DataType[elemType]!;
  // A model that starts with an Embedding takes int32 indices, as gd's Embedding does.
  if (inputDtype !== undefined && inputDtype !== 'int32' && inputDtype !== dtype)
    throw new DTypeError(`toOnnx: inputDtype ${inputDtype} differs from the parameters' ${dtype}`);
  const index = inputDtype === undefined ? firstLeaf(model) instanceof Embedding : inputDtype === 'int32';

  const traceAt = (k: number): Built => {
    const dyn: DynSizes = new Map();
    const shape = inputShape.map((d, axis) => {
      const name = dynamic.get(axis);
      if (name === undefined) return d;
      const size = TRACE_SIZES[k]![dyn.size]!;
      dyn.set(size, { name, axis });
      return size;
    });
    return build(model, state, shape, dyn, opset, dtype, index, dynamic, k + 1);
  };
  const built = traceAt(0);
  {
    // the graph must not depend on the input's values, nor on the sizes of its symbolic axes: a
    // second trace with other values (and other sizes) gives the same one. A constant that does
    // depend on them was computed outside the recorded ops (a Tensor op or argmax on the input).
    const again = traceAt(1);
    const signature = (b: Built) =>
      JSON.stringify([b.nodes, b.initializers.map((i) => [i.name, i.dims, Array.from(i.raw_data)])], (_, v) =>
        v instanceof Uint8Array ? Array.from(v) : v,
      );
    if (signature(built) !== signature(again)) {
      const axes = [...dynamic].map(([a, n]) => `${a}: '${n}'`).join(', ');
      throw new OnnxExportError(
        `toOnnx: the model's graph depends on its input's values${dynamic.size > 0 ? ` or on the sizes of its symbolic axes (${axes})` : ''}: a value computed from the input outside the recorded ops (a Tensor op on it, or a non-differentiable op such as argmax)${dynamic.size > 0 ? ', or a constant built from a symbolic size (export with that axis fixed)' : ''}`,
      );
    }
  }
  const { nodes, initializers, input, outputs } = built;
  const valueInfo = (name: string, shape: Dim[], elemType = elem) => ({
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  });
  const message = ModelProto.fromObject({
    ir_version: IR_VERSION[opset],
    opset_import: [{ domain: '', version: opset }],
    producer_name: '@gd/nn',
    graph: {
      name: model.constructor.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', input.shape, index ? DataType.INT32! : elem)],
      output: outputs.map((o) => valueInfo(o.name, o.shape, o.elem ? DataType[o.elem]! : elem)),
    },
  });
  const bytes = ModelProto.encode(message).finish();
  // In Node protobufjs writes a Buffer, often a view of a shared pool: return plain bytes of our own.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}

function attribute(name: string, v: Attribute): object {
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'string'))
    return { name, type: AttributeType.STRINGS, strings: v.map((e) => new TextEncoder().encode(e)) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (typeof v === 'object') return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.INT, i: v };
}
