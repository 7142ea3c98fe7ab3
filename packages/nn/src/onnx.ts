/**
 * @gd/nn/onnx — export a model to ONNX, the format ONNX Runtime (Node, web, Python, C++, mobile)
 * and other engines load. A separate entry point, so that code which never exports does not
 * bundle the protobuf runtime. `saveOnnxFile` in `@gd/nn/node` writes the bytes to a file.
 *
 * @packageDocumentation
 */
import { conv2dGeometry, DTypeError, GdError, type Pool2dOptions, poolGeometry, ShapeError, type Size2d, ValueError } from '@gd/tensor';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d } from './conv.js';
import { Dropout, Flatten, GELU, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh } from './layers.js';
import { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, Embedding, LayerNorm } from './normalization.js';
import { AttributeType, DataType, ModelProto } from './onnx/proto.js';

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
}

/** The lowest and highest operator sets toOnnx writes. */
export const ONNX_OPSETS = { min: 13, max: 22, default: 17 } as const;

// The ONNX IR version each operator set was released with (onnx/helper.py's VERSION_TABLE):
// the oldest IR that can carry it, so older runtimes load the file.
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };

// gd dtype → ONNX TensorProto.DataType. float64 models carry DOUBLE tensors end to end.
const ELEM_TYPE: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE' };

/** One axis of a value's shape: a size, or a symbolic name such as `batch`. */
type Dim = number | string;

/** A value in the graph under construction: its name, (inferred) shape, and whether it holds int32 indices. */
interface Value {
  name: string;
  shape: Dim[];
  index?: boolean;
}

type Attribute = number | number[] | string | { float: number };

/** What an emitter uses to add nodes to the graph. */
interface EmitContext {
  /** The dotted path of the module being emitted, as in stateDict keys ('' for the model itself). */
  readonly path: string;
  /** The module being emitted. */
  readonly module: Module;
  /** The target operator set. */
  readonly opset: number;
  /**
   * Adds a node `op(inputs)` and returns the name of its output. Integer attributes are numbers,
   * float attributes `{ float: x }`, lists of integers arrays.
   */
  node(op: string, inputs: string[], attributes?: Record<string, Attribute>): string;
  /** The initializer of this module's parameter `field` (named by its stateDict key). */
  param(field: string): string;
  /** A Constant node holding a scalar in the model's dtype. */
  scalar(value: number): string;
  /** A Constant node holding a tensor of `dims` filled with `value`, in the model's dtype. */
  filled(value: number, dims: number[]): string;
  /** Emits a child module on `x` (for containers). */
  child(name: string, module: Module, x: Value): Value;
  /** Throws an OnnxExportError naming the module's class and path. */
  fail(reason: string): never;
}

/** Turns one module into ONNX nodes: takes the input value, returns the output value. */
type Emitter<M extends Module> = (module: M, x: Value, cx: EmitContext) => Value;

// biome-ignore lint/suspicious/noExplicitAny: a table of emitters, each typed by its own class
type AnyClass = abstract new (...args: any[]) => Module;
const emitter = <C extends AnyClass>(cls: C, emit: Emitter<InstanceType<C>>): [AnyClass, Emitter<Module>] => [cls, emit as Emitter<Module>];

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * THE TABLE of exportable layers: each layer class maps to the emitter that writes its ONNX
 * nodes. To make a new layer exportable, add one `emitter(Class, (m, x, cx) => …)` entry here:
 * emit its nodes with `cx.node`, reference its parameters with `cx.param('weight')` (any
 * stateDict entry of the module, buffers such as running statistics too; the initializers then
 * carry the stateDict names), constants with `cx.scalar`, recurse into sub-modules with
 * `cx.child`, reject inputs it cannot take with `cx.fail` (or a ShapeError), and return the
 * output's name and inferred shape. Integer-list attributes (kernel_shape, strides, pads) are
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
  emitter(GELU, (_m, x, cx) => {
    if (cx.opset >= 20) return { name: cx.node('Gelu', [x.name], { approximate: 'tanh' }), shape: x.shape };
    // Before opset 20: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in gd's order of operations.
    const x3 = cx.node('Mul', [cx.node('Mul', [x.name, x.name]), x.name]);
    const inner = cx.node('Mul', [cx.scalar(GELU_C), cx.node('Add', [x.name, cx.node('Mul', [cx.scalar(0.044715), x3])])]);
    const half = cx.node('Mul', [cx.scalar(0.5), x.name]);
    return { name: cx.node('Mul', [half, cx.node('Add', [cx.scalar(1), cx.node('Tanh', [inner])])]), shape: x.shape };
  }),
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
  emitter(Dropout, (_m, x) => x),
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
  emitter(Sequential, (m, x, cx) => m.namedChildren().reduce((v, [name, child]) => cx.child(name, child, v), x)),
]);

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
function firstLeaf(m: Module): Module {
  let cur = m;
  while (cur instanceof Sequential) {
    const first = cur.namedChildren()[0];
    if (first === undefined) break;
    cur = first[1];
  }
  return cur;
}

const fmt = (shape: readonly Dim[]) => `[${shape.join(', ')}]`;
const describe = (m: Module, path: string) => `${m.constructor.name} at ${path === '' ? 'the root of the model' : `'${path}'`}`;

/** The exportable layer classes, by name (for error messages). */
const exportable = () => [...EMITTERS.keys()].map((c) => c.name).join(', ');

function checkOptions(model: unknown, options: ToOnnxOptions): { inputShape: number[]; opset: number; dynamicBatch: boolean } {
  if (!(model instanceof Module)) throw new ValueError(`toOnnx: model must be a Module, got ${typeOf(model)}`);
  if (options === null || typeof options !== 'object')
    throw new ValueError(`toOnnx: options must be an object with inputShape, got ${typeOf(options)}`);
  const { inputShape, opset = ONNX_OPSETS.default, dynamicBatch = false } = options;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(
      `toOnnx: inputShape must be a non-empty array of positive integers (batch first), got ${JSON.stringify(inputShape)}`,
    );
  }
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new ValueError(`toOnnx: opset must be an integer from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}, got ${opset}`);
  }
  if (typeof dynamicBatch !== 'boolean') throw new ValueError(`toOnnx: dynamicBatch must be a boolean, got ${typeOf(dynamicBatch)}`);
  return { inputShape: [...inputShape], opset, dynamicBatch };
}

const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;

/** Little-endian bytes of values in a float dtype, as TensorProto.raw_data holds them. */
function rawData(values: ArrayLike<number>, dtype: string): Uint8Array {
  const double = dtype === 'float64';
  const out = new Uint8Array(values.length * (double ? 8 : 4));
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (double) view.setFloat64(i * 8, values[i]!, true);
    else view.setFloat32(i * 4, values[i]!, true);
  }
  return out;
}

/**
 * Exports a model to ONNX: returns the bytes of an ONNX ModelProto whose graph computes
 * `model.forward` in evaluation mode (Dropout is the identity), with one input `input` of
 * `inputShape` and one output `output`. Parameters are stored as initializers named by their
 * stateDict keys (`0.weight`, …) in the parameters' dtype (float32 → FLOAT, float64 → DOUBLE).
 * Exportable layers: Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, Flatten, Dropout,
 * Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (output sizes that divide the input's),
 * BatchNorm1d, BatchNorm2d (running statistics), LayerNorm (opset ≥ 17), Embedding (first layer
 * only: the model's input is then int32 indices), and Sequential (so `mlp`) nested to any depth.
 * Integer buffers such as num_batches_tracked are not exported. Any other module throws
 * OnnxExportError naming its class and its path in the model.
 *
 * @example
 * ```ts
 * const bytes = toOnnx(mlp([784, 128, 10]), { inputShape: [1, 784], dynamicBatch: true });
 * ```
 */
export function toOnnx(model: Module, options: ToOnnxOptions): Uint8Array {
  const { inputShape, opset, dynamicBatch } = checkOptions(model, options);
  const state = model.stateDict();
  // Integer buffers (BatchNorm's num_batches_tracked) only count training steps: the graph never reads them.
  const dtypes = [...new Set(Object.values(state).map((t) => t.dtype as string))].filter((d) => d !== 'int32');
  if (dtypes.length > 1) throw new DTypeError(`toOnnx: the parameters mix dtypes (${dtypes.join(', ')}); export needs one`);
  const dtype = dtypes[0] ?? 'float32';
  const elemType = ELEM_TYPE[dtype];
  if (elemType === undefined) throw new DTypeError(`toOnnx: parameters of dtype ${dtype} cannot be exported; float32 or float64 can`);
  const elem = DataType[elemType]!;

  const nodes: object[] = [];
  const initializers = new Map<string, object>();
  const used = new Map<string, number>();
  const fresh = (base: string) => {
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };

  const emit = (module: Module, path: string, x: Value): Value => {
    const fn = EMITTERS.get(module.constructor as AnyClass);
    if (fn === undefined) {
      throw new OnnxExportError(
        `toOnnx: cannot export ${describe(module, path)}: no ONNX emitter for ${module.constructor.name} (exportable: ${exportable()})`,
      );
    }
    const scopeName = `/${path.replaceAll('.', '/')}`;
    const cx: EmitContext = {
      path,
      module,
      opset,
      node(op, inputs, attributes = {}) {
        const name = fresh(`${scopeName === '/' ? '' : scopeName}/${op}`);
        const output = `${name}_output`;
        nodes.push({
          name,
          op_type: op,
          input: inputs,
          output: [output],
          attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
        });
        return output;
      },
      param(field) {
        const key = path === '' ? field : `${path}.${field}`;
        const t = state[key];
        if (t === undefined) cx.fail(`it has no parameter '${key}'`);
        if (!initializers.has(key))
          initializers.set(key, {
            name: key,
            data_type: elem,
            dims: [...t.shape],
            raw_data: rawData(t.data() as ArrayLike<number>, dtype),
          });
        return key;
      },
      scalar: (value) => cx.filled(value, []),
      filled(value, dims) {
        const out = cx.node('Constant', []);
        const node = nodes[nodes.length - 1] as { attribute: object[] };
        const values = new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value);
        node.attribute.push({
          name: 'value',
          type: AttributeType.TENSOR,
          t: { data_type: elem, dims, raw_data: rawData(values, dtype) },
        });
        return out;
      },
      child: (name, child, v) => emit(child, path === '' ? name : `${path}.${name}`, v),
      fail(reason): never {
        throw new OnnxExportError(`toOnnx: cannot export ${describe(module, path)}: ${reason}`);
      },
    };
    return fn(module, x, cx);
  };

  // A model that starts with an Embedding takes int32 indices, as gd's Embedding does.
  const index = firstLeaf(model) instanceof Embedding;
  const input: Value = { name: 'input', shape: dynamicBatch ? ['batch', ...inputShape.slice(1)] : inputShape, index };
  const result = emit(model, '', input);
  // The graph's result is named `output`: rename the node output that produces it, or add an
  // Identity when the model passes its input through unchanged.
  if (result.name === input.name) {
    nodes.push({ name: '/Identity', op_type: 'Identity', input: [input.name], output: ['output'], attribute: [] });
  } else {
    for (const n of nodes as Array<{ input: string[]; output: string[] }>) {
      n.input = n.input.map((v) => (v === result.name ? 'output' : v));
      n.output = n.output.map((v) => (v === result.name ? 'output' : v));
    }
  }

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
      initializer: [...initializers.values()],
      input: [valueInfo('input', input.shape, index ? DataType.INT32! : elem)],
      output: [valueInfo('output', result.shape)],
    },
  });
  const bytes = ModelProto.encode(message).finish();
  // In Node protobufjs writes a Buffer, often a view of a shared pool: return plain bytes of our own.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}

function attribute(name: string, v: Attribute): object {
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (typeof v === 'object') return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.INT, i: v };
}
