// The Transformer encoder (PyTorch's nn.TransformerEncoderLayer and nn.TransformerEncoder): the
// same sub-modules, state-dict keys, init and order of operations.
import { asVariable, Variable, type VariableLike, variable } from '@gd/autograd';
import { type FloatDType, keep, Tensor, ValueError } from '@gd/tensor';
import { type AttentionMask, MultiheadAttention } from './attention.js';
import { ModuleList } from './containers.js';
import { Dropout, Linear, layerDtype, parameter } from './layers.js';
import { type AnyModule, Module } from './module.js';
import { LayerNorm } from './normalization.js';
import { type OptionKeys, optionsOf, typeOf } from './options.js';

/** The options of the encoder and decoder layers' constructors. */
const LAYER_OPTIONS: OptionKeys<TransformerEncoderLayerOptions> = {
  activation: true,
  batchFirst: true,
  dimFeedforward: true,
  dropout: true,
  dtype: true,
  layerNormEps: true,
  normFirst: true,
};
/** The options of the decoder's and its layers' forward. */
const DECODER_FORWARD_OPTIONS: OptionKeys<TransformerDecoderForwardOptions> = {
  tgtMask: true,
  memoryMask: true,
  tgtKeyPaddingMask: true,
  memoryKeyPaddingMask: true,
  tgtIsCausal: true,
  memoryIsCausal: true,
};

/** The feed-forward activation of a Transformer layer: a name, or any function of a Variable. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Variable) => Variable);

/** Options of TransformerEncoderLayer (PyTorch's defaults). */
export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu' (the exact, erf form, as PyTorch's) or a function. */
  activation?: TransformerActivation;
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** Inputs are [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** LayerNorm before attention and feed-forward (pre-norm) instead of after (default false). */
  normFirst?: boolean;
  /** float32 (default) or float64 parameters. */
  dtype?: FloatDType;
}

/** Options of TransformerEncoderLayer.forward. */
export interface TransformerEncoderLayerForwardOptions {
  /** [S, S] or [batch·heads, S, S]: float (added) or int32 (nonzero = not allowed). */
  srcMask?: AttentionMask | null;
  /** Padding of the keys, [batch, S]: float (added) or int32 (nonzero = padding). */
  srcKeyPaddingMask?: AttentionMask | null;
  /** Each position attends to itself and earlier ones only. */
  isCausal?: boolean;
}

function activationOf(op: string, a: TransformerActivation | undefined): (x: Variable) => Variable {
  if (a === undefined || a === 'relu') return (x) => x.relu();
  // PyTorch's 'gelu' is the exact form: the gelu kernel
  if (a === 'gelu') return (x) => x.gelu();
  if (typeof a === 'function') return a;
  throw new ValueError(`${op}: activation must be 'relu', 'gelu' or a function, got ${typeof a === 'string' ? `'${a}'` : typeOf(a)}`);
}

/**
 * One Transformer encoder block (PyTorch's nn.TransformerEncoderLayer): self-attention, then a
 * feed-forward block linear2(dropout(activation(linear1(x)))), each with dropout, a residual
 * connection and LayerNorm — after the residual (post-norm, the default) or before the block
 * (`normFirst`). Keys: `self_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 64, batchFirst: true });
 * layer.forward(x, { isCausal: true }); // [N, S, 16]
 * ```
 */
export class TransformerEncoderLayer extends Module<[src: VariableLike, options?: TransformerEncoderLayerForwardOptions], Variable> {
  /** Self-attention. */
  readonly self_attn: MultiheadAttention;
  /** First feed-forward layer, dModel → dimFeedforward. */
  readonly linear1: Linear;
  /** Dropout inside the feed-forward block. */
  readonly dropout: Dropout;
  /** Second feed-forward layer, dimFeedforward → dModel. */
  readonly linear2: Linear;
  /** Pre-norm (true) or post-norm (false). */
  readonly normFirst: boolean;
  /** LayerNorm of the attention block. */
  readonly norm1: LayerNorm;
  /** LayerNorm of the feed-forward block. */
  readonly norm2: LayerNorm;
  /** Dropout after attention. */
  readonly dropout1: Dropout;
  /** Dropout after the feed-forward block. */
  readonly dropout2: Dropout;
  /** The feed-forward activation. */
  readonly activation: (x: Variable) => Variable;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    const op = 'TransformerEncoderLayer';
    const o = optionsOf(op, options, LAYER_OPTIONS);
    const dtype = layerDtype(op, o.dtype);
    const p = o.dropout ?? 0.1;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: o.batchFirst ?? false, dtype });
    this.linear1 = new Linear(dModel, o.dimFeedforward ?? 2048, { dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(o.dimFeedforward ?? 2048, dModel, { dtype });
    this.normFirst = o.normFirst ?? false;
    const eps = o.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.activation = activationOf(op, o.activation);
  }

  /** Whether inputs are [batch, seq, feature]. */
  get batchFirst(): boolean {
    return this.self_attn.batchFirst;
  }

  /** src [S, N, dModel] ([N, S, dModel] with batchFirst, or unbatched [S, dModel]) → the same shape. */
  forward(src: VariableLike, options: TransformerEncoderLayerForwardOptions = {}): Variable {
    const {
      srcMask,
      srcKeyPaddingMask,
      isCausal = false,
    } = optionsOf('TransformerEncoderLayer.forward', options, { srcMask: true, srcKeyPaddingMask: true, isCausal: true });
    const sa = (x: Variable) =>
      this.dropout1.forward(
        this.self_attn.forward(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false, isCausal })[0],
      );
    const ff = (x: Variable) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
    let x = asVariable(src);
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      return x.add(ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(sa(x)));
    return this.norm2.forward(x.add(ff(x)));
  }
}

/** Options of TransformerEncoder. */
export interface TransformerEncoderOptions {
  /** A final normalisation after the last layer (PyTorch's `norm`), e.g. a LayerNorm; default none. */
  norm?: Module | null;
}

/** Options of TransformerEncoder.forward. */
export interface TransformerEncoderForwardOptions {
  /** [S, S] or [batch·heads, S, S]: float (added) or int32 (nonzero = not allowed). */
  mask?: AttentionMask | null;
  /** Padding of the keys, [batch, S]: float (added) or int32 (nonzero = padding). */
  srcKeyPaddingMask?: AttentionMask | null;
  /** Each position attends to itself and earlier ones only. */
  isCausal?: boolean;
}

/**
 * A stack of `numLayers` deep copies of an encoder layer (PyTorch's nn.TransformerEncoder), keys
 * `layers.0.…`, `layers.1.…`, then `norm.…` when a final norm is given. The copies start equal to
 * `layer` and are independent afterwards; `layer` itself is not part of the stack.
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(16, 4, { batchFirst: true });
 * const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(16) });
 * encoder.forward(x, { srcKeyPaddingMask: padding }); // [N, S, 16]
 * ```
 */
export class TransformerEncoder extends Module<[src: VariableLike, options?: TransformerEncoderForwardOptions], Variable> {
  /** The layers, in order. */
  readonly layers: ModuleList<TransformerEncoderLayer>;
  /** The final normalisation, or null. */
  readonly norm: Module | null;

  constructor(
    layer: TransformerEncoderLayer,
    readonly numLayers: number,
    options: TransformerEncoderOptions = {},
  ) {
    super();
    // the options first: a refusal must not leave the layers' copies behind
    const norm = normOf('TransformerEncoder', options);
    this.layers = new ModuleList(stackOf('TransformerEncoder', TransformerEncoderLayer, layer, numLayers));
    this.norm = norm;
  }

  /** src [S, N, d] ([N, S, d] with batchFirst) through every layer, then the norm. */
  forward(src: VariableLike, options: TransformerEncoderForwardOptions = {}): Variable {
    const { mask, srcKeyPaddingMask, isCausal } = optionsOf('TransformerEncoder.forward', options, {
      mask: true,
      srcKeyPaddingMask: true,
      isCausal: true,
    });
    let x = asVariable(src);
    for (const layer of this.layers) x = layer.forward(x, { srcMask: mask, srcKeyPaddingMask, isCausal });
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** Options of TransformerDecoderLayer: those of TransformerEncoderLayer. */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/** Options of TransformerDecoderLayer.forward and TransformerDecoder.forward. */
export interface TransformerDecoderForwardOptions {
  /** Self-attention mask over the target, [T, T] or [batch·heads, T, T]: float (added) or int32 (nonzero = not allowed). */
  tgtMask?: AttentionMask | null;
  /** Cross-attention mask, [T, S] or [batch·heads, T, S]. */
  memoryMask?: AttentionMask | null;
  /** Padding of the target, [batch, T]. */
  tgtKeyPaddingMask?: AttentionMask | null;
  /** Padding of the memory, [batch, S]. */
  memoryKeyPaddingMask?: AttentionMask | null;
  /** Each target position attends to itself and earlier ones only (instead of tgtMask). */
  tgtIsCausal?: boolean;
  /** Target position i attends to memory positions j ≤ i only (instead of memoryMask). */
  memoryIsCausal?: boolean;
}

/**
 * One Transformer decoder block (PyTorch's nn.TransformerDecoderLayer): self-attention over the
 * target, attention from the target to the encoder's output (`memory`), and the feed-forward
 * block, each with dropout, a residual connection and LayerNorm (post-norm, or pre-norm with
 * `normFirst`). Keys: `self_attn.*`, `multihead_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`,
 * `norm2.*`, `norm3.*`.
 *
 * @example
 * ```ts
 * const layer = new TransformerDecoderLayer(16, 4, { dimFeedforward: 64, batchFirst: true });
 * layer.forward(tgt, memory, { tgtIsCausal: true }); // [N, T, 16]
 * ```
 */
export class TransformerDecoderLayer extends Module<
  [tgt: VariableLike, memory: VariableLike, options?: TransformerDecoderForwardOptions],
  Variable
> {
  /** Self-attention over the target. */
  readonly self_attn: MultiheadAttention;
  /** Attention from the target to the memory. */
  readonly multihead_attn: MultiheadAttention;
  /** First feed-forward layer, dModel → dimFeedforward. */
  readonly linear1: Linear;
  /** Dropout inside the feed-forward block. */
  readonly dropout: Dropout;
  /** Second feed-forward layer, dimFeedforward → dModel. */
  readonly linear2: Linear;
  /** Pre-norm (true) or post-norm (false). */
  readonly normFirst: boolean;
  /** LayerNorm of the self-attention block. */
  readonly norm1: LayerNorm;
  /** LayerNorm of the cross-attention block. */
  readonly norm2: LayerNorm;
  /** LayerNorm of the feed-forward block. */
  readonly norm3: LayerNorm;
  /** Dropout after self-attention. */
  readonly dropout1: Dropout;
  /** Dropout after cross-attention. */
  readonly dropout2: Dropout;
  /** Dropout after the feed-forward block. */
  readonly dropout3: Dropout;
  /** The feed-forward activation. */
  readonly activation: (x: Variable) => Variable;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerDecoderLayerOptions = {},
  ) {
    super();
    const op = 'TransformerDecoderLayer';
    const o = optionsOf(op, options, LAYER_OPTIONS);
    const dtype = layerDtype(op, o.dtype);
    const p = o.dropout ?? 0.1;
    const batchFirst = o.batchFirst ?? false;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, dtype });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, dtype });
    this.linear1 = new Linear(dModel, o.dimFeedforward ?? 2048, { dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(o.dimFeedforward ?? 2048, dModel, { dtype });
    this.normFirst = o.normFirst ?? false;
    const eps = o.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    this.norm3 = new LayerNorm(dModel, { eps, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
    this.activation = activationOf(op, o.activation);
  }

  /** tgt [T, N, dModel] and memory [S, N, dModel] ([N, ·, dModel] with batchFirst) → [T, N, dModel]. */
  forward(tgt: VariableLike, memory: VariableLike, options: TransformerDecoderForwardOptions = {}): Variable {
    const o = optionsOf('TransformerDecoderLayer.forward', options, DECODER_FORWARD_OPTIONS);
    const mem = asVariable(memory);
    const sa = (x: Variable) =>
      this.dropout1.forward(
        this.self_attn.forward(x, x, x, {
          attnMask: o.tgtMask,
          keyPaddingMask: o.tgtKeyPaddingMask,
          needWeights: false,
          isCausal: o.tgtIsCausal ?? false,
        })[0],
      );
    const ca = (x: Variable) =>
      this.dropout2.forward(
        this.multihead_attn.forward(x, mem, mem, {
          attnMask: o.memoryMask,
          keyPaddingMask: o.memoryKeyPaddingMask,
          needWeights: false,
          isCausal: o.memoryIsCausal ?? false,
        })[0],
      );
    const ff = (x: Variable) => this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
    let x = asVariable(tgt);
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      x = x.add(ca(this.norm2.forward(x)));
      return x.add(ff(this.norm3.forward(x)));
    }
    x = this.norm1.forward(x.add(sa(x)));
    x = this.norm2.forward(x.add(ca(x)));
    return this.norm3.forward(x.add(ff(x)));
  }
}

/** Options of TransformerDecoder. */
export interface TransformerDecoderOptions {
  /** A final normalisation after the last layer (PyTorch's `norm`), e.g. a LayerNorm; default none. */
  norm?: Module | null;
}

/**
 * A stack of `numLayers` deep copies of a decoder layer (PyTorch's nn.TransformerDecoder), keys
 * `layers.0.…`, then `norm.…` when a final norm is given; every layer attends to the same memory.
 *
 * @example
 * ```ts
 * const decoder = new TransformerDecoder(new TransformerDecoderLayer(16, 4), 2);
 * decoder.forward(tgt, memory, { tgtIsCausal: true }); // [T, N, 16]
 * ```
 */
export class TransformerDecoder extends Module<
  [tgt: VariableLike, memory: VariableLike, options?: TransformerDecoderForwardOptions],
  Variable
> {
  /** The layers, in order. */
  readonly layers: ModuleList<TransformerDecoderLayer>;
  /** The final normalisation, or null. */
  readonly norm: Module | null;

  constructor(
    layer: TransformerDecoderLayer,
    readonly numLayers: number,
    options: TransformerDecoderOptions = {},
  ) {
    super();
    // the options first: a refusal must not leave the layers' copies behind
    const norm = normOf('TransformerDecoder', options);
    this.layers = new ModuleList(stackOf('TransformerDecoder', TransformerDecoderLayer, layer, numLayers));
    this.norm = norm;
  }

  /** tgt and memory through every layer, then the norm. */
  forward(tgt: VariableLike, memory: VariableLike, options: TransformerDecoderForwardOptions = {}): Variable {
    const o = optionsOf('TransformerDecoder.forward', options, DECODER_FORWARD_OPTIONS);
    let x = asVariable(tgt);
    const mem = asVariable(memory);
    for (const layer of this.layers) x = layer.forward(x, mem, o);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** numLayers deep copies of `layer`, checked to be a `cls`. */
function stackOf<L extends AnyModule>(op: string, cls: abstract new (...args: never[]) => L, layer: L, numLayers: number): L[] {
  if (!((layer as unknown) instanceof cls)) {
    const got = (layer as unknown) instanceof Module ? (layer as object).constructor.name : typeOf(layer);
    throw new ValueError(`${op}: layer must be a ${cls.name}, got ${got}`);
  }
  if (!Number.isInteger(numLayers) || numLayers < 1)
    throw new ValueError(`${op}: numLayers must be a positive integer, got ${String(numLayers)}`);
  return Array.from({ length: numLayers }, () => copyModule(layer));
}

/** The `norm` option of a stack, checked. */
function normOf(op: string, options: { norm?: Module | null } | undefined): Module | null {
  const o = optionsOf(op, options, { norm: true });
  if (o.norm !== undefined && o.norm !== null && !(o.norm instanceof Module))
    throw new ValueError(`${op}: norm must be a Module (e.g. a LayerNorm) or null, got ${typeOf(o.norm)}`);
  return o.norm ?? null;
}

/**
 * A deep copy of a module (PyTorch's copy.deepcopy): new parameters and buffers holding copies
 * of the values (no gradients), sub-modules copied recursively; a parameter shared inside the
 * module stays shared in the copy.
 *
 * @example
 * ```ts
 * const twin = copyModule(new Linear(4, 2)); // equal weights, separate tensors
 * ```
 */
export function copyModule<M extends AnyModule>(module: M): M {
  if (!(module instanceof Module)) throw new ValueError(`copyModule: expected a Module, got ${typeOf(module)}`);
  return copyValue(module, new Map()) as M;
}

function copyValue(x: unknown, memo: Map<unknown, unknown>): unknown {
  if (x === null || typeof x !== 'object') return x; // primitives and functions are shared
  if (memo.has(x)) return memo.get(x);
  let c: unknown;
  if (x instanceof Variable) {
    c = x.requiresGrad ? parameter(x.value.clone(), x.name) : variable(keep(x.value.clone()), { requiresGrad: false, name: x.name });
  } else if (x instanceof Tensor) {
    c = keep(x.clone());
  } else if (ArrayBuffer.isView(x)) {
    c = (x as unknown as { slice(): unknown }).slice();
  } else if (x instanceof Map) {
    const m = new Map();
    memo.set(x, m);
    for (const [k, v] of x) m.set(k, copyValue(v, memo));
    return m;
  } else if (Array.isArray(x)) {
    const a: unknown[] = [];
    memo.set(x, a);
    for (const v of x) a.push(copyValue(v, memo));
    return a;
  } else {
    const o = Object.create(Object.getPrototypeOf(x) as object) as object;
    memo.set(x, o);
    for (const key of Reflect.ownKeys(x)) {
      const d = Object.getOwnPropertyDescriptor(x, key)!;
      if ('value' in d) d.value = copyValue(d.value, memo);
      Object.defineProperty(o, key, d);
    }
    return o;
  }
  memo.set(x, c);
  return c;
}
