// Convolution and pooling over NCHW images, with PyTorch's semantics and layout. Every option
// and shape is checked here; the kernels (assembly/conv.ts) then run on a geometry block of
// int32 words written into the plan area. Operands of mixed float dtypes promote like every other
// op (float64 if any is float64, else float32), and the f32 or f64 kernels run on the promoted
// copies. int32 operands are a DTypeError, as in PyTorch: computed in float32 they would lose
// every integer above 2^24 without a word.
import { DisposedError, DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { add } from '../generated/binary.js';
import { kernels, META_PTR, rt, writeData } from '../runtime.js';
import { type FloatDType, itemSize, Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
import { operand } from './operands.js';

/** A size per spatial axis: one number for both, or `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** Options of conv2d, as in PyTorch's `torch.nn.functional.conv2d`. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /**
   * Zeros added on each side (default 0); `'valid'` is 0, `'same'` keeps the spatial size (stride
   * 1 only; an odd total padding puts the extra row/column at the bottom/right, as PyTorch).
   */
  padding?: Size2d | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Channel groups: input and output channels split into this many independent convolutions (default 1). */
  groups?: number;
}

/** Options of convTranspose2d, as in PyTorch's `torch.nn.functional.conv_transpose2d`. */
export interface ConvTranspose2dOptions {
  /** Stride of the convolution this transposes (default 1). */
  stride?: Size2d;
  /** Padding of the convolution this transposes (default 0). */
  padding?: Size2d;
  /** Extra rows/columns added to one side of the output (default 0; less than stride or dilation). */
  outputPadding?: Size2d;
  /** Dilation (default 1). */
  dilation?: Size2d;
  /** Channel groups (default 1). */
  groups?: number;
}

/** Options of maxPool2d and avgPool2d. */
export interface Pool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2d;
  /** Implicit padding on each side, at most half the kernel size (default 0). */
  padding?: Size2d;
}

/** The resolved geometry of one convolution (the forward direction x → y). */
export interface ConvGeometry {
  /** Batch. */
  n: number;
  /** Input channels. */
  c: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Output channels. */
  oc: number;
  /** Channel groups. */
  groups: number;
  /** Kernel height. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Stride down. */
  sh: number;
  /** Stride across. */
  sw: number;
  /** Top padding. */
  ph: number;
  /** Left padding. */
  pw: number;
  /** Dilation down. */
  dh: number;
  /** Dilation across. */
  dw: number;
  /** Output height. */
  oh: number;
  /** Output width. */
  ow: number;
}

/** The kernels of one float dtype, by the names of their f32 exports. */
function kernelsFor(dtype: FloatDType) {
  const K = kernels();
  return dtype === 'float64'
    ? {
        forward: K.conv2d_forward_f64,
        backwardInput: K.conv2d_backward_input_f64,
        backwardWeight: K.conv2d_backward_weight_f64,
        maxPool: K.maxpool2d_f64,
        maxPoolBackward: K.maxpool2d_backward_f64,
        avgPool: K.avgpool2d_f64,
        avgPoolBackward: K.avgpool2d_backward_f64,
        adaptive: K.adaptive_avgpool2d_f64,
        adaptiveBackward: K.adaptive_avgpool2d_backward_f64,
      }
    : {
        forward: K.conv2d_forward_f32,
        backwardInput: K.conv2d_backward_input_f32,
        backwardWeight: K.conv2d_backward_weight_f32,
        maxPool: K.maxpool2d_f32,
        maxPoolBackward: K.maxpool2d_backward_f32,
        avgPool: K.avgpool2d_f32,
        avgPoolBackward: K.avgpool2d_backward_f32,
        adaptive: K.adaptive_avgpool2d_f32,
        adaptiveBackward: K.adaptive_avgpool2d_backward_f32,
      };
}

function pair(op: string, name: string, v: Size2d | undefined, fallback: number, min: number): [number, number] {
  const raw = v ?? fallback;
  const p: readonly unknown[] = typeof raw === 'number' ? [raw, raw] : Array.isArray(raw) ? raw : [raw];
  if (p.length !== 2 || !p.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min && d < 2 ** 20)) {
    throw new ValueError(`${op}: ${name} must be an integer ≥ ${min} or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

function checkGroups(op: string, groups: unknown): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new ValueError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  }
  return groups;
}

function outLen(len: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((len + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Byte size of the largest intermediate (in float64, the wider case) must stay within wasm32. */
function checkSize(op: string, floats: number): void {
  if (floats * 8 >= 2 ** 32) throw new ShapeError(`${op}: an intermediate of ${floats} elements exceeds the 4 GiB of wasm32 memory`);
}

/**
 * Checks conv2d's operands and resolves the geometry (PyTorch semantics): x [N, C, H, W] (or
 * unbatched [C, H, W]), weight [OC, C/groups, kH, kW].
 */
export function conv2dGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  options: Conv2dOptions = {},
): ConvGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weight must be [outC, inC/groups, kH, kW], got ${fmtShape(wShape)}`);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oc, cg, kh, kw] = wShape as [number, number, number, number];
  const groups = checkGroups(op, options.groups ?? 1);
  if (oc === 0 || cg === 0 || kh === 0 || kw === 0) throw new ShapeError(`${op}: weight ${fmtShape(wShape)} has an empty dimension`);
  if (oc % groups !== 0)
    throw new ShapeError(`${op}: out channels ${oc} (weight ${fmtShape(wShape)}) are not divisible by groups ${groups}`);
  if (c !== cg * groups) {
    throw new ShapeError(
      `${op}: input ${fmtShape(xShape)} has ${c} channels; weight ${fmtShape(wShape)} with groups ${groups} expects ${cg * groups}`,
    );
  }
  const [sh, sw] = pair(op, 'stride', options.stride, 1, 1);
  const [dh, dw] = pair(op, 'dilation', options.dilation, 1, 1);
  let ph: number;
  let pw: number;
  let oh: number;
  let ow: number;
  const padding = options.padding ?? 0;
  if (padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new ValueError(`${op}: padding 'same' needs stride 1, got stride ${JSON.stringify(options.stride)}`);
    // total padding d·(k − 1); the top/left side gets the smaller half
    ph = Math.floor((dh * (kh - 1)) / 2);
    pw = Math.floor((dw * (kw - 1)) / 2);
    oh = h;
    ow = w;
  } else {
    [ph, pw] = padding === 'valid' ? [0, 0] : pair(op, 'padding', padding as Size2d, 0, 0);
    oh = outLen(h, kh, sh, ph, dh);
    ow = outLen(w, kw, sw, pw, dw);
    if (oh < 1 || ow < 1) {
      throw new ShapeError(
        `${op}: input ${fmtShape(xShape)} padded by [${ph}, ${pw}] is smaller than the dilated kernel ` +
          `[${dh * (kh - 1) + 1}, ${dw * (kw - 1) + 1}]`,
      );
    }
  }
  checkSize(op, n * oc * oh * ow);
  checkSize(op, cg * kh * kw * oh * ow);
  return { n, c, h, w, oc, groups, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
}

function writeGeometry(g: ConvGeometry): number {
  // through a fresh view of the fixed plan area, so a later allocation cannot leave it stale
  writeData(META_PTR, 'int32', [g.n, g.c, g.h, g.w, g.oc, g.groups, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow]);
  return META_PTR;
}

/**
 * Runs `body` with a scratch block for one image-group's column matrix (freed afterwards) and
 * the geometry written into the plan area (after the allocation, which may grow the memory).
 */
function withColumns<R>(g: ConvGeometry, dtype: FloatDType, body: (col: number, geom: number) => R): R {
  const bytes = Math.max(16, (g.c / g.groups) * g.kh * g.kw * g.oh * g.ow * itemSize(dtype));
  const alloc = rt().allocator;
  const col = alloc.alloc(bytes);
  try {
    return body(col, writeGeometry(g));
  } finally {
    alloc.free(col, bytes);
  }
}

/** Lifts unbatched [C, H, W] to [1, C, H, W]; `batched` says whether to drop the axis again. */
function batchedView(t: Tensor): { t: Tensor; batched: boolean } {
  if (t.rank !== 3) return { t, batched: true };
  return { t: t.reshape([1, ...t.shape]), batched: false };
}

function finish(out: Tensor, batched: boolean): Tensor {
  if (batched) return out;
  const squeezed = out.reshape(out.shape.slice(1));
  out.dispose();
  return squeezed;
}

/**
 * Runs `body` on the operands promoted to the float dtype they compute in (float64 if any tensor
 * is float64, else float32), disposing the copies made from arrays or by the promotion. A JS
 * array takes the tensors' dtype, as in every other op. An int32 operand is a DTypeError.
 */
function withInputs<R>(
  op: string,
  xs: Array<[TensorLike | undefined, string]>,
  body: (ts: Array<Tensor | undefined>, dtype: FloatDType) => R,
): R {
  const given: Tensor[] = [];
  for (const [x, what] of xs) {
    if (!(x instanceof Tensor)) continue;
    if (x.isDisposed) throw new DisposedError(`${op}: ${what} ${fmtShape(x.shape)} ${x.dtype} was disposed`);
    given.push(x);
  }
  const hint = floatType(...given);
  const temps: Tensor[] = [];
  try {
    // arrays first (a Float64Array makes a float64 operand), then the promotion over all of them
    const ts = xs.map(([x, what]) => {
      if (x === undefined) return undefined;
      const { t, owned } = operand(op, x, hint);
      if (owned) temps.push(t);
      if (t.dtype === 'int32') {
        throw new DTypeError(
          `${op}: ${what} ${fmtShape(t.shape)} is int32; convolution and pooling compute in float32 or float64 (cast it first, e.g. x.cast('float32'))`,
        );
      }
      return t;
    });
    const dtype = floatType(...ts.filter((t): t is Tensor => t !== undefined));
    const fs = ts.map((t) => {
      if (t === undefined) return undefined;
      const f = asFloat(t, dtype);
      if (f !== t) temps.push(f);
      return f;
    });
    return body(fs, dtype);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * The frame of conv2d and convTranspose2d: operands promoted (withInputs), an unbatched input
 * [C, H, W] lifted to [1, C, H, W] for `body` and its batch axis dropped from the result.
 */
function withImages(
  op: string,
  x: TensorLike,
  weight: TensorLike,
  bias: TensorLike | undefined,
  body: (xb: Tensor, w: Tensor, b: Tensor | undefined, dtype: FloatDType) => Tensor,
): Tensor {
  return withInputs(
    op,
    [
      [x, 'input'],
      [weight, 'weight'],
      [bias, 'bias'],
    ],
    ([tx, tw, tb], dtype) => {
      const { t: xb, batched } = batchedView(tx!);
      try {
        return finish(body(xb, tw!, tb, dtype), batched);
      } finally {
        if (xb !== tx) xb.dispose();
      }
    },
  );
}

function checkBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new ShapeError(`${op}: bias must be [${channels}], got ${fmtShape(bias.shape)}`);
  }
}

/**
 * 2-D convolution (cross-correlation, as every deep-learning library) of x [N, C, H, W] (or
 * [C, H, W]) with weight [outC, C/groups, kH, kW], plus an optional bias [outC]: PyTorch's
 * `conv2d`, its layout and output size ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.
 *
 * @example
 * ```ts
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);   // [1, 1, 3, 3]
 * const w = tensor([[[[1, 0], [0, -1]]]]);                    // [1, 1, 2, 2]
 * conv2d(x, w).toArray(); // [[[[-4, -4], [-4, -4]]]]
 * ```
 */
export function conv2d(x: TensorLike, weight: TensorLike, bias?: TensorLike, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  return withImages(op, x, weight, bias, (xb, tw, tb, dtype) => {
    const g = conv2dGeometry(op, xb.shape, tw.shape, options);
    checkBias(op, tb, g.oc);
    const out = new Tensor([g.n, g.oc, g.oh, g.ow], dtype);
    if (out.size > 0) {
      withColumns(g, dtype, (col, geom) => {
        kernelsFor(dtype).forward(xb.ptr(op), tw.ptr(op), tb ? tb.ptr(op) : 0, out.ptr(op), col, rt().gemmWork, geom);
      });
    }
    return out;
  });
}

/** Checks that a convolution's upstream gradient has the output shape [N, outC, oH, oW] of `g`. */
function checkDy(op: string, dy: Tensor, g: ConvGeometry): void {
  const want = [g.n, g.oc, g.oh, g.ow];
  if (dy.shape.join() !== want.join()) throw new ShapeError(`${op}: dy must be ${fmtShape(want)}, got ${fmtShape(dy.shape)}`);
}

/**
 * The gradient of conv2d with respect to its input: dy [N, outC, oH, oW] → dx of `inputShape`
 * (a transposed convolution of dy with the same weight).
 */
export function conv2dBackwardInput(dy: Tensor, weight: Tensor, inputShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardInput';
  return withInputs(
    op,
    [
      [dy, 'dy'],
      [weight, 'weight'],
    ],
    ([tdy, tw], dtype) => {
      const g = conv2dGeometry(op, inputShape, tw!.shape, options);
      checkDy(op, tdy!, g);
      const dx = new Tensor(inputShape, dtype);
      if (dx.size > 0) {
        withColumns(g, dtype, (col, geom) => {
          kernelsFor(dtype).backwardInput(tdy!.ptr(op), tw!.ptr(op), dx.ptr(op), col, rt().gemmWork, geom);
        });
      }
      return dx;
    },
  );
}

/** The gradient of conv2d with respect to its weight: x and dy → dw of `weightShape` (summed over the batch). */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, weightShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  return withInputs(
    op,
    [
      [x, 'input'],
      [dy, 'dy'],
    ],
    ([tx, tdy], dtype) => {
      const g = conv2dGeometry(op, tx!.shape, weightShape, options);
      checkDy(op, tdy!, g);
      const dw = new Tensor(weightShape, dtype);
      if (g.n === 0) {
        dw.bytesView().fill(0);
        return dw;
      }
      withColumns(g, dtype, (col, geom) => {
        kernelsFor(dtype).backwardWeight(tx!.ptr(op), tdy!.ptr(op), dw.ptr(op), col, rt().gemmWork, geom);
      });
      return dw;
    },
  );
}

/**
 * Resolves convTranspose2d's geometry as the convolution it transposes: that convolution maps
 * the output [N, outC, H', W'] back to x [N, inC, H, W] with weight [inC, outC/groups, kH, kW].
 */
export function convTranspose2dGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  options: ConvTranspose2dOptions = {},
): ConvGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weight must be [inC, outC/groups, kH, kW], got ${fmtShape(wShape)}`);
  const groups = checkGroups(op, options.groups ?? 1);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [, ocg, kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = pair(op, 'stride', options.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', options.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', options.dilation, 1, 1);
  const [qh, qw] = pair(op, 'outputPadding', options.outputPadding, 0, 0);
  if ((qh >= sh && qh >= dh) || (qw >= sw && qw >= dw)) {
    throw new ValueError(`${op}: outputPadding ${JSON.stringify(options.outputPadding)} must be smaller than stride or dilation`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + qh + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + qw + 1;
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: input ${fmtShape(xShape)} gives an empty output [${oh}, ${ow}]`);
  // the forward convolution of the output, whose input gradient this op is
  const g = conv2dGeometry(op, [n, ocg * groups, oh, ow], [c, ocg, kh, kw], {
    stride: [sh, sw],
    padding: [ph, pw],
    dilation: [dh, dw],
    groups,
  });
  if (g.oh !== h || g.ow !== w) throw new ShapeError(`${op}: input ${fmtShape(xShape)} does not match the geometry`);
  if (wShape[0] !== c) throw new ShapeError(`${op}: weight ${fmtShape(wShape)} needs ${c} input channels first`);
  return g;
}

/**
 * Transposed 2-D convolution (PyTorch's `conv_transpose2d`): x [N, inC, H, W], weight
 * [inC, outC/groups, kH, kW], output [N, outC, (H − 1)s − 2p + d(k − 1) + outputPadding + 1, …].
 * It is the input gradient of conv2d, and upsamples.
 *
 * @example
 * ```ts
 * const x = tensor([[[[1, 2], [3, 4]]]]);             // [1, 1, 2, 2]
 * convTranspose2d(x, ones([1, 1, 2, 2]), undefined, { stride: 2 }).shape; // [1, 1, 4, 4]
 * ```
 */
export function convTranspose2d(x: TensorLike, weight: TensorLike, bias?: TensorLike, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  return withImages(op, x, weight, bias, (xb, tw, tb, dtype) => {
    const g = convTranspose2dGeometry(op, xb.shape, tw.shape, options);
    checkBias(op, tb, g.c);
    const out = new Tensor([g.n, g.c, g.h, g.w], dtype);
    if (out.size > 0) {
      withColumns(g, dtype, (col, geom) => {
        kernelsFor(dtype).backwardInput(xb.ptr(op), tw.ptr(op), out.ptr(op), col, rt().gemmWork, geom);
      });
    }
    if (!tb) return out;
    // out[n, c, …] += bias[c]
    const b4 = tb.reshape([1, g.c, 1, 1]);
    const biased = add(out, b4);
    b4.dispose();
    out.dispose();
    return biased;
  });
}

/** The convTranspose2d input gradient: a plain convolution of dy with the same weight. */
export function convTranspose2dBackwardInput(dy: Tensor, weight: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  const { outputPadding: _, ...rest } = options;
  return conv2d(dy, weight, undefined, { ...rest, padding: rest.padding ?? 0 });
}

// ── pooling ───────────────────────────────────────────────────────────────

/**
 * The resolved geometry of one pooling op over planes [P, H, W]: the window fields of a
 * convolution's geometry (no channels, groups or dilation).
 */
export interface PoolGeometry extends Pick<ConvGeometry, 'h' | 'w' | 'oh' | 'ow' | 'kh' | 'kw' | 'sh' | 'sw' | 'ph' | 'pw'> {
  /** Leading dims (N, C) of the input. */
  lead: number[];
  /** Number of planes (N·C). */
  planes: number;
}

/** Checks a pooling op's input ([N, C, H, W] or [C, H, W]) and options, PyTorch's rules. */
export function poolGeometry(op: string, shape: readonly number[], kernelSize: Size2d, options: Pool2dOptions = {}): PoolGeometry {
  if (shape.length !== 3 && shape.length !== 4)
    throw new ShapeError(`${op}: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(shape)}`);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1, 1);
  const [sh, sw] = pair(op, 'stride', options.stride ?? [kh, kw], 1, 1);
  const [ph, pw] = pair(op, 'padding', options.padding, 0, 0);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new ValueError(`${op}: padding ${JSON.stringify(options.padding)} must be at most half the kernel size [${kh}, ${kw}]`);
  }
  const h = shape[shape.length - 2]!;
  const w = shape[shape.length - 1]!;
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(`${op}: input ${fmtShape(shape)} padded by [${ph}, ${pw}] is smaller than the kernel [${kh}, ${kw}]`);
  }
  const lead = shape.slice(0, -2);
  return { lead, planes: lead.reduce((a, b) => a * b, 1), h, w, oh, ow, kh, kw, sh, sw, ph, pw };
}

/** Max pooling's values and, per output, the plane index (ih·W + iw) of the input it took. */
export interface MaxPoolResult {
  /** Pooled values [N, C, oH, oW]. */
  values: Tensor;
  /** int32 positions within each input plane, for the gradient. */
  indices: Tensor;
}

/** Runs the max-pooling kernel; `withIndices` also writes the arg-max positions. */
function maxPoolRun(x: TensorLike, kernelSize: Size2d, options: Pool2dOptions, withIndices: boolean): MaxPoolResult | Tensor {
  const op = 'maxPool2d';
  return withInputs(op, [[x, 'input']], ([tx], dtype) => {
    const g = poolGeometry(op, tx!.shape, kernelSize, options);
    const shape = [...g.lead, g.oh, g.ow];
    const values = new Tensor(shape, dtype);
    const indices = withIndices ? new Tensor(shape, 'int32') : undefined;
    if (values.size > 0) {
      const args = [g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw] as const;
      kernelsFor(dtype).maxPool(tx!.ptr(op), values.ptr(op), indices ? indices.ptr(op) : 0, ...args);
    }
    return indices ? { values, indices } : values;
  });
}

/** Max pooling returning the arg-max positions too (PyTorch's `return_indices`). */
export function maxPool2dWithIndices(x: TensorLike, kernelSize: Size2d, options: Pool2dOptions = {}): MaxPoolResult {
  return maxPoolRun(x, kernelSize, options, true) as MaxPoolResult;
}

/**
 * 2-D max pooling of x [N, C, H, W] (or [C, H, W]) over kernelSize windows; stride defaults to
 * the kernel size; padding never wins.
 *
 * @example
 * ```ts
 * maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2).toArray(); // [[[[4]]]]
 * ```
 */
export function maxPool2d(x: TensorLike, kernelSize: Size2d, options: Pool2dOptions = {}): Tensor {
  return maxPoolRun(x, kernelSize, options, false) as Tensor;
}

/** The gradient of max pooling: each dy goes to the input its window took (summed where windows overlap). */
export function maxPool2dBackward(dy: Tensor, indices: Tensor, inputShape: readonly number[]): Tensor {
  const op = 'maxPool2dBackward';
  if (dy.shape.join() !== indices.shape.join())
    throw new ShapeError(`${op}: dy ${fmtShape(dy.shape)} and indices ${fmtShape(indices.shape)} differ`);
  return withInputs(op, [[dy, 'dy']], ([tdy], dtype) => {
    const planes = inputShape.slice(0, -2).reduce((a, b) => a * b, 1);
    const hw = inputShape[inputShape.length - 2]! * inputShape[inputShape.length - 1]!;
    const dx = new Tensor(inputShape, dtype);
    if (dx.size > 0)
      kernelsFor(dtype).maxPoolBackward(tdy!.ptr(op), indices.ptr(op), dx.ptr(op), planes, hw, tdy!.size / Math.max(1, planes));
    return dx;
  });
}

/**
 * 2-D average pooling of x [N, C, H, W] (or [C, H, W]); zero padding counts in the average
 * (PyTorch's default `count_include_pad`), so every window divides by kH·kW.
 *
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 4]]]]), 2).toArray(); // [[[[2.5]]]]
 * ```
 */
export function avgPool2d(x: TensorLike, kernelSize: Size2d, options: Pool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  return withInputs(op, [[x, 'input']], ([tx], dtype) => {
    const g = poolGeometry(op, tx!.shape, kernelSize, options);
    const out = new Tensor([...g.lead, g.oh, g.ow], dtype);
    if (out.size > 0) {
      kernelsFor(dtype).avgPool(tx!.ptr(op), out.ptr(op), g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.kh * g.kw);
    }
    return out;
  });
}

/** The gradient of avgPool2d: dy/(kH·kW) spread over each window. */
export function avgPool2dBackward(dy: Tensor, inputShape: readonly number[], kernelSize: Size2d, options: Pool2dOptions = {}): Tensor {
  const op = 'avgPool2dBackward';
  const g = poolGeometry(op, inputShape, kernelSize, options);
  if (dy.shape.join() !== [...g.lead, g.oh, g.ow].join())
    throw new ShapeError(`${op}: dy ${fmtShape(dy.shape)} does not match the pooled shape`);
  return withInputs(op, [[dy, 'dy']], ([tdy], dtype) => {
    const dx = new Tensor(inputShape, dtype);
    if (dx.size > 0) {
      const args = [g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.kh * g.kw] as const;
      kernelsFor(dtype).avgPoolBackward(tdy!.ptr(op), dx.ptr(op), ...args);
    }
    return dx;
  });
}

function adaptiveGeometry(
  op: string,
  shape: readonly number[],
  outputSize: Size2d,
): { planes: number; lead: number[]; oh: number; ow: number } {
  if (shape.length !== 3 && shape.length !== 4)
    throw new ShapeError(`${op}: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(shape)}`);
  const [oh, ow] = pair(op, 'outputSize', outputSize, 1, 1);
  const lead = shape.slice(0, -2);
  if (shape[shape.length - 2] === 0 || shape[shape.length - 1] === 0)
    throw new ShapeError(`${op}: input ${fmtShape(shape)} has an empty plane`);
  return { planes: lead.reduce((a, b) => a * b, 1), lead, oh, ow };
}

/**
 * Adaptive average pooling to a fixed output size (PyTorch's `adaptive_avg_pool2d`): output cell i
 * averages input rows ⌊i·H/oH⌋ … ⌈(i+1)·H/oH⌉ − 1, and the same across.
 *
 * @example
 * ```ts
 * adaptiveAvgPool2d(tensor([[[[1, 2], [3, 4]]]]), 1).toArray(); // [[[[2.5]]]]
 * ```
 */
export function adaptiveAvgPool2d(x: TensorLike, outputSize: Size2d): Tensor {
  const op = 'adaptiveAvgPool2d';
  return withInputs(op, [[x, 'input']], ([tx], dtype) => {
    const g = adaptiveGeometry(op, tx!.shape, outputSize);
    const [h, w] = tx!.shape.slice(-2) as [number, number];
    const out = new Tensor([...g.lead, g.oh, g.ow], dtype);
    if (out.size > 0) kernelsFor(dtype).adaptive(tx!.ptr(op), out.ptr(op), g.planes, h, w, g.oh, g.ow);
    return out;
  });
}

/** The gradient of adaptiveAvgPool2d. */
export function adaptiveAvgPool2dBackward(dy: Tensor, inputShape: readonly number[]): Tensor {
  const op = 'adaptiveAvgPool2dBackward';
  const g = adaptiveGeometry(op, inputShape, dy.shape.slice(-2) as [number, number]);
  const [h, w] = inputShape.slice(-2) as [number, number];
  return withInputs(op, [[dy, 'dy']], ([tdy], dtype) => {
    const dx = new Tensor(inputShape, dtype);
    if (dx.size > 0) kernelsFor(dtype).adaptiveBackward(tdy!.ptr(op), dx.ptr(op), g.planes, h, w, g.oh, g.ow);
    return dx;
  });
}
