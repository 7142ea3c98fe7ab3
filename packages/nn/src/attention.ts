// Attention: scaledDotProductAttention and MultiheadAttention, with PyTorch's semantics, init and
// state-dict keys. Without weights or dropout, attention is the op table's fused op (no [L, S]
// matrix, q/k/v read in place in [N, T, H, E] for the heads of MultiheadAttention); else composed
// from differentiable ops (matmul, softmax, add). Masks are 0/−∞ tensors added to the scores.
import { apply, asVariable, linear, opTable, Variable, type VariableLike } from '@gd/autograd';
import {
  broadcastShapes,
  DTypeError,
  dropoutMask,
  type FloatDType,
  fmtShape,
  full,
  ShapeError,
  Tensor,
  type TensorLike,
  tensor,
  ValueError,
  where,
  zeros,
} from '@gd/tensor';
import { init } from './init.js';
import { Linear, layerDtype, parameter } from './layers.js';
import { Module } from './module.js';
import { optionsOf, typeOf } from './options.js';

/**
 * An attention mask: a float tensor is added to the scores (−∞ forbids a position); an int32
 * tensor is PyTorch's boolean mask, where nonzero means "not allowed".
 */
export type AttentionMask = Tensor | Variable | TensorLike;

/** Options of scaledDotProductAttention (PyTorch's F.scaled_dot_product_attention). */
export interface ScaledDotProductAttentionOptions {
  /** Broadcastable to [..., L, S]: float (added) or int32 (nonzero = not allowed). */
  attnMask?: AttentionMask | null;
  /** Query i attends to keys j ≤ i only (a top-left aligned lower-triangular mask). Not with attnMask. */
  isCausal?: boolean;
  /** Multiplies q·kᵀ; default 1/√E with E the last axis of q. */
  scale?: number | null;
  /** Dropout probability on the attention weights (default 0; pass 0 in evaluation). */
  dropoutP?: number;
}

/** 0 where allowed and −∞ where not, in `dtype`, for an int32 (boolean) mask. */
function additiveOf(op: string, mask: AttentionMask, dtype: FloatDType): VariableLike {
  if (mask instanceof Tensor || mask instanceof Variable) {
    const t = mask instanceof Tensor ? mask : mask.value;
    if (t.dtype === 'int32') return where(t, full([], Number.NEGATIVE_INFINITY, dtype), full([], 0, dtype));
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${op}: a mask must be float or int32, got ${t.dtype}`);
    return mask as VariableLike;
  }
  return tensor(mask as never, { dtype });
}

/**
 * The causal mask [L, S] as a float mask: 0 on and below the diagonal, −∞ above, so query i sees
 * keys j ≤ i (what `isCausal` adds to the scores). A constant, copied in once.
 *
 * @example
 * ```ts
 * causalMask(2, 3).toArray(); // [[0, -Infinity, -Infinity], [0, 0, -Infinity]]
 * ```
 */
export function causalMask(l: number, s: number, dtype: FloatDType = 'float32'): Tensor {
  const data = dtype === 'float64' ? new Float64Array(l * s) : new Float32Array(l * s);
  for (let i = 0; i < l; i++) for (let j = i + 1; j < s; j++) data[i * s + j] = Number.NEGATIVE_INFINITY;
  return tensor(data, { shape: [l, s], dtype });
}

/**
 * causalMask(l, s) built by ops (−∞ broadcast to [L, S], then its triangle above the diagonal):
 * the same values, and an ONNX export writes them as Expand and Trilu of the traced sizes, so a
 * causal model exported with a symbolic sequence length takes any length.
 */
function causalMaskOf(l: number, s: number, dtype: FloatDType): Variable {
  return asVariable(full([], Number.NEGATIVE_INFINITY, dtype))
    .broadcastTo([l, s])
    .triu(1);
}

function shapeOf(x: VariableLike | AttentionMask): readonly number[] {
  return x instanceof Tensor ? x.shape : (asVariable(x as VariableLike).shape as readonly number[]);
}

/**
 * Attention of q [..., L, E] over k [..., S, E] and v [..., S, Ev]: softmax(q·kᵀ·scale + mask)·v
 * → [..., L, Ev], and the weights [..., L, S] when `needWeights`. With `headsLast` the operands
 * are [N, T, H, E] and the output [N, L, H, Ev] (a projection's heads split by a reshape); the
 * weights stay [N, H, L, S]. Without weights and dropout, one fused op (the op table's
 * scaledDotProductAttention) that never forms the [L, S] matrices; else composed from matmul,
 * softmax and add. @internal — MultiheadAttention needs the weights.
 */
export function attention(
  op: string,
  q: VariableLike,
  k: VariableLike,
  v: VariableLike,
  options: ScaledDotProductAttentionOptions,
  needWeights = true,
  headsLast = false,
): [Variable, Variable | null] {
  let qv = asVariable(q);
  let kv = asVariable(k);
  let vv = asVariable(v);
  const { attnMask, isCausal = false, scale, dropoutP = 0 } = options;
  if (qv.rank < 2 || kv.rank < 2 || vv.rank < 2)
    throw new ShapeError(
      `${op}: q, k and v must be at least rank 2, got ${fmtShape(qv.shape)}, ${fmtShape(kv.shape)}, ${fmtShape(vv.shape)}`,
    );
  const [tAxis, fAxis] = headsLast ? [1, 3] : [qv.rank - 2, qv.rank - 1];
  const e = qv.shape[fAxis]!;
  const l = qv.shape[tAxis]!;
  const s = kv.shape[headsLast ? 1 : kv.rank - 2]!;
  if (kv.shape[kv.rank - 1] !== e || vv.shape[headsLast ? 1 : vv.rank - 2] !== s) {
    throw new ShapeError(
      `${op}: expected q [..., L, E], k [..., S, E] and v [..., S, Ev]; got q ${fmtShape(qv.shape)}, k ${fmtShape(kv.shape)}, v ${fmtShape(vv.shape)}`,
    );
  }
  if (typeof isCausal !== 'boolean') throw new ValueError(`${op}: isCausal must be true or false, got ${typeOf(isCausal)}`);
  if (!(typeof dropoutP === 'number' && dropoutP >= 0 && dropoutP < 1))
    throw new ValueError(`${op}: dropoutP must be in [0, 1), got ${String(dropoutP)}`);
  if (scale !== undefined && scale !== null && !(typeof scale === 'number' && Number.isFinite(scale)))
    throw new ValueError(`${op}: scale must be a finite number, got ${String(scale)}`);
  const hasMask = attnMask !== undefined && attnMask !== null;
  if (isCausal && hasMask) throw new ValueError(`${op}: give either attnMask or isCausal, not both`);
  const dtype: FloatDType = qv.dtype === 'float64' ? 'float64' : 'float32';
  const scoreShape = headsLast
    ? [qv.shape[0]!, qv.shape[2]!, l, s]
    : [...broadcastShapes(op, qv.shape.slice(0, -2), kv.shape.slice(0, -2)), l, s];
  let mask: VariableLike | null = null;
  let maskFits = true;
  if (hasMask) {
    const mshape = shapeOf(attnMask);
    try {
      const full = broadcastShapes(op, mshape, scoreShape);
      maskFits = full.length === scoreShape.length && full.every((d, i) => d === scoreShape[i]);
    } catch {
      throw new ShapeError(`${op}: attnMask ${fmtShape(mshape)} does not broadcast to the scores [..., L, S] = ${fmtShape(scoreShape)}`);
    }
    mask = additiveOf(op, attnMask, dtype);
  }
  const sameBatch = (x: Variable) =>
    x.rank === qv.rank &&
    (headsLast ? x.shape[0] === qv.shape[0] && x.shape[2] === qv.shape[2] : qv.shape.slice(0, -2).every((d, i) => x.shape[i] === d));
  if (!needWeights && dropoutP === 0 && sameBatch(kv) && sameBatch(vv) && maskFits) {
    // fused: one op, no [L, S] matrix formed in the forward or the backward
    const attrs = { scale: scale ?? 1 / Math.sqrt(e), isCausal, headsLast };
    const inputs: VariableLike[] = mask === null ? [qv, kv, vv] : [qv, kv, vv, mask];
    return [apply('scaledDotProductAttention', opTable.scaledDotProductAttention, inputs, attrs), null];
  }
  const perm = [0, 2, 1, 3];
  if (headsLast) [qv, kv, vv] = [qv.transpose(perm), kv.transpose(perm), vv.transpose(perm)];
  let scores = qv.matmul(kv, { transposeB: true }).mul(scale ?? 1 / Math.sqrt(e));
  if (mask !== null) scores = scores.add(mask);
  else if (isCausal) scores = scores.add(causalMaskOf(l, s, dtype));
  let weights = scores.softmax(-1);
  if (dropoutP > 0) weights = weights.mul(dropoutMask(weights.shape as number[], dropoutP, dtype));
  const out = weights.matmul(vv);
  return [headsLast ? out.transpose(perm) : out, weights];
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev]
 * (PyTorch's F.scaled_dot_product_attention): `attnMask` broadcastable to [..., L, S], a float
 * mask added to the scores or an int32 one with nonzero = not allowed; `isCausal` lets query i see
 * keys j ≤ i; `scale` defaults to 1/√E; `dropoutP` drops attention weights. Without dropout it is
 * one fused op whose forward and backward never form the [L, S] matrix (an online softmax over
 * tiles of keys); with dropout, or k and v batched differently from q, it is composed from
 * differentiable ops.
 *
 * @example
 * ```ts
 * const out = scaledDotProductAttention(q, k, v, { isCausal: true }); // [batch, heads, L, Ev]
 * ```
 */
export function scaledDotProductAttention(
  q: VariableLike,
  k: VariableLike,
  v: VariableLike,
  options: ScaledDotProductAttentionOptions = {},
): Variable {
  return attention(
    'scaledDotProductAttention',
    q,
    k,
    v,
    optionsOf('scaledDotProductAttention', options, { attnMask: true, isCausal: true, scale: true, dropoutP: true }),
    false,
  )[0];
}

/** Options of MultiheadAttention (PyTorch's defaults). */
export interface MultiheadAttentionOptions {
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and output are [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** Features of the keys (default embedDim). */
  kdim?: number;
  /** Features of the values (default embedDim). */
  vdim?: number;
  /** float32 (default) or float64 parameters. */
  dtype?: FloatDType;
}

/** Options of MultiheadAttention.forward (PyTorch's names, camelCased). */
export interface MultiheadAttentionForwardOptions {
  /** [L, S] or [batch·heads, L, S]: float (added) or int32 (nonzero = not allowed). */
  attnMask?: AttentionMask | null;
  /** [batch, S] (or [S] unbatched): float (added) or int32 (nonzero = this key is padding). */
  keyPaddingMask?: AttentionMask | null;
  /** Return the attention weights (default true); else the second output is null. */
  needWeights?: boolean;
  /** Average the weights over the heads, [batch, L, S] (default true); else [batch, heads, L, S]. */
  averageAttnWeights?: boolean;
  /** Query i attends to keys j ≤ i; with an attnMask, that mask is taken as the causal one. */
  isCausal?: boolean;
}

/**
 * Multi-head attention (PyTorch's nn.MultiheadAttention): the query, key and value are projected,
 * split into `numHeads` heads of embedDim/numHeads features, attended with
 * scaledDotProductAttention, joined and projected by `out_proj`. State-dict keys are PyTorch's:
 * `in_proj_weight` [3E, E] and `in_proj_bias` [3E] (or `q_proj_weight`, `k_proj_weight`,
 * `v_proj_weight` when kdim or vdim differ from embedDim), `out_proj.weight`, `out_proj.bias`;
 * initialised as PyTorch does (Xavier-uniform projections, zero biases, out_proj as a Linear).
 * Inputs are [L, N, E] ([N, L, E] with batchFirst) or unbatched [L, E]; forward returns
 * `[output, weights | null]`.
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(16, 4, { batchFirst: true });
 * const [out, weights] = mha.forward(x, x, x, { isCausal: true }); // [N, L, 16], [N, L, L]
 * ```
 */
export class MultiheadAttention extends Module<
  [query: VariableLike, key: VariableLike, value: VariableLike, options?: MultiheadAttentionForwardOptions],
  [Variable, Variable | null]
> {
  /** The packed query/key/value projection [3E, E], when kdim = vdim = embedDim. */
  readonly in_proj_weight: Variable | null;
  /** The query projection [E, E], when kdim or vdim differ. */
  readonly q_proj_weight: Variable | null;
  /** The key projection [E, kdim], when kdim or vdim differ. */
  readonly k_proj_weight: Variable | null;
  /** The value projection [E, vdim], when kdim or vdim differ. */
  readonly v_proj_weight: Variable | null;
  /** The packed projection biases [3E], or null without bias. */
  readonly in_proj_bias: Variable | null;
  /** The output projection. */
  readonly out_proj: Linear;
  /** Features of a head: embedDim / numHeads. */
  readonly headDim: number;
  /** Features of the keys. */
  readonly kdim: number;
  /** Features of the values. */
  readonly vdim: number;
  /** Inputs are [batch, seq, feature]. */
  readonly batchFirst: boolean;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    const op = 'MultiheadAttention';
    options = optionsOf(op, options, { bias: true, batchFirst: true, dropout: true, kdim: true, vdim: true, dtype: true });
    for (const [name, v] of [
      ['embedDim', embedDim],
      ['numHeads', numHeads],
      ['kdim', options.kdim ?? embedDim],
      ['vdim', options.vdim ?? embedDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${String(v)}`);
    }
    if (embedDim % numHeads !== 0) throw new ValueError(`${op}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    const dropout = options.dropout ?? 0;
    if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1))
      throw new ValueError(`${op}: dropout must be in [0, 1), got ${String(dropout)}`);
    const dtype = layerDtype(op, options.dtype);
    this.headDim = embedDim / numHeads;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = dropout;
    const packed = this.kdim === embedDim && this.vdim === embedDim;
    const weight = (rows: number, cols: number, name: string) =>
      init.xavierUniform(parameter(zeros([rows, cols], dtype), name)) as Variable;
    this.in_proj_weight = packed ? weight(3 * embedDim, embedDim, 'in_proj_weight') : null;
    this.q_proj_weight = packed ? null : weight(embedDim, embedDim, 'q_proj_weight');
    this.k_proj_weight = packed ? null : weight(embedDim, this.kdim, 'k_proj_weight');
    this.v_proj_weight = packed ? null : weight(embedDim, this.vdim, 'v_proj_weight');
    this.in_proj_bias = options.bias === false ? null : parameter(zeros([3 * embedDim], dtype), 'in_proj_bias');
    this.out_proj = new Linear(embedDim, embedDim, { bias: options.bias !== false, dtype });
    if (this.out_proj.bias) init.zeros(this.out_proj.bias);
  }

  /** x·Wᵢᵀ + bᵢ for projection i (0 query, 1 key, 2 value) of x [N, T, features]. */
  private project(x: Variable, i: number): Variable {
    const e = this.embedDim;
    const w = this.in_proj_weight
      ? this.in_proj_weight.slice([i * e, 0], [e, e])
      : [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight][i]!;
    const y = x.matmul(w, { transposeB: true });
    return this.in_proj_bias ? y.add(this.in_proj_bias.slice([i * e], [e])) : y;
  }

  /**
   * Attends `query` [L, N, E] over `key` [S, N, kdim] and `value` [S, N, vdim] ([N, ·, ·] with
   * batchFirst; unbatched [L, E] too) → `[output [L, N, E], weights [N, L, S] | null]`.
   */
  forward(
    query: VariableLike,
    key: VariableLike,
    value: VariableLike,
    options: MultiheadAttentionForwardOptions = {},
  ): [Variable, Variable | null] {
    const op = 'MultiheadAttention';
    const {
      attnMask,
      keyPaddingMask,
      needWeights = true,
      averageAttnWeights = true,
      isCausal = false,
    } = optionsOf(`${op}.forward`, options, {
      attnMask: true,
      keyPaddingMask: true,
      needWeights: true,
      averageAttnWeights: true,
      isCausal: true,
    });
    const self = query === key && key === value;
    let q = asVariable(query);
    let k = self ? q : asVariable(key);
    let v = self ? q : asVariable(value);
    const batched = q.rank === 3;
    const e = this.embedDim;
    const want = (x: Variable, f: number) => x.rank === q.rank && (x.rank === 2 || x.rank === 3) && x.shape[x.rank - 1] === f;
    if (!want(q, e) || !want(k, this.kdim) || !want(v, this.vdim)) {
      const layout = this.batchFirst ? '[N, ·, ·]' : '[·, N, ·]';
      throw new ShapeError(
        `${op}: expected query [L, N, ${e}], key [S, N, ${this.kdim}], value [S, N, ${this.vdim}] (batched ${layout}, or all unbatched without N); got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
      );
    }
    // to [N, T, features]
    const toBatchFirst = (x: Variable) => (!batched ? x.expandDims(0) : this.batchFirst ? x : x.transpose([1, 0, 2]));
    q = toBatchFirst(q);
    k = self ? q : toBatchFirst(k);
    v = self ? q : toBatchFirst(v);
    const [n, l] = [q.shape[0]!, q.shape[1]!];
    const s = k.shape[1]!;
    if (k.shape[0] !== n || v.shape[0] !== n || v.shape[1] !== s) {
      throw new ShapeError(
        `${op}: query, key and value must share the batch size, and key and value the length; got query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)}, value ${fmtShape(v.shape)} (as [N, T, features])`,
      );
    }
    const h = this.numHeads;
    const d = this.headDim;
    // [N, T, H, d]: a reshape, no copy; attention reads the heads where they lie
    const heads = (x: Variable, t: number) => x.reshape([n, t, h, d]);
    let qp: Variable;
    let kp: Variable;
    let vp: Variable;
    if (self && this.in_proj_weight) {
      // self-attention: one matmul by the packed [3E, E] weight, then the three column blocks
      const qkv = linear(q, this.in_proj_weight, this.in_proj_bias);
      [qp, kp, vp] = [0, 1, 2].map((i) => qkv.slice([0, 0, i * e], [n, l, e])) as [Variable, Variable, Variable];
    } else {
      [qp, kp, vp] = [this.project(q, 0), this.project(k, 1), this.project(v, 2)];
    }
    const qh = heads(qp, l);
    const kh = heads(kp, s);
    const vh = heads(vp, s);
    const dtype = qh.dtype === 'float64' ? 'float64' : 'float32';
    // a causal mask alone is the fused kernel's flag, never a tensor
    const causalOnly = isCausal === true && (attnMask ?? null) === null && (keyPaddingMask ?? null) === null;
    const mask = causalOnly ? null : this.mask(attnMask, keyPaddingMask, isCausal, batched, n, l, s, dtype);
    const [out, weights] = attention(
      op,
      qh,
      kh,
      vh,
      { attnMask: mask, isCausal: causalOnly, dropoutP: this.training ? this.dropout : 0 },
      needWeights,
      true,
    );
    let y = this.out_proj.forward(out.reshape([n, l, e]));
    y = !batched ? y.squeeze(0) : this.batchFirst ? y : y.transpose([1, 0, 2]);
    if (!needWeights) return [y, null];
    let w = averageAttnWeights ? weights!.mean(1) : weights!;
    if (!batched) w = w.squeeze(0);
    return [y, w];
  }

  /** The attention mask and key padding mask merged into one additive mask [N or 1, H or 1, L, S], or null. */
  private mask(
    attnMask: AttentionMask | null | undefined,
    keyPaddingMask: AttentionMask | null | undefined,
    isCausal: boolean,
    batched: boolean,
    n: number,
    l: number,
    s: number,
    dtype: FloatDType,
  ): VariableLike | null {
    const op = 'MultiheadAttention';
    if (typeof isCausal !== 'boolean') throw new ValueError(`${op}: isCausal must be true or false, got ${typeOf(isCausal)}`);
    let mask: VariableLike | null = null;
    if (attnMask !== undefined && attnMask !== null) {
      const shape = shapeOf(attnMask);
      const ok2 = shape.length === 2 && shape[0] === l && shape[1] === s;
      const ok3 = shape.length === 3 && shape[0] === n * this.numHeads && shape[1] === l && shape[2] === s;
      if (!ok2 && !ok3)
        throw new ShapeError(
          `${op}: attnMask must be [${l}, ${s}] or [${n * this.numHeads}, ${l}, ${s}] (L, S; batch·heads), got ${fmtShape(shape)}`,
        );
      const m = asVariable(additiveOf(op, attnMask, dtype));
      mask = ok3 ? m.reshape([n, this.numHeads, l, s]) : m;
    } else if (isCausal) {
      mask = causalMaskOf(l, s, dtype);
    }
    if (keyPaddingMask !== undefined && keyPaddingMask !== null) {
      const shape = shapeOf(keyPaddingMask);
      const want = batched ? [n, s] : [s];
      if (shape.length !== want.length || shape.some((dim, i) => dim !== want[i]))
        throw new ShapeError(`${op}: keyPaddingMask must be ${fmtShape(want)} (${batched ? 'batch, S' : 'S'}), got ${fmtShape(shape)}`);
      const p = asVariable(additiveOf(op, keyPaddingMask, dtype)).reshape([n, 1, 1, s]);
      mask = mask === null ? p : p.add(mask);
    }
    return mask;
  }
}
