// Matrix products, 1-D and batched, transposes read in place (assembly/matmul.ts).
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { BIN_ADD } from '../generated/opcodes.js';
import { kernels, rt } from '../runtime.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../shape.js';
import { itemSize, Tensor, type TensorLike } from '../tensor.js';
import { gemm as gemm32, gemm64, splitRange, splitsAbove } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { releaseIfNew, withOperands } from './operands.js';

// ── matmul ────────────────────────────────────────────────────────────────
/** Options of matmul: read either operand transposed, in place (no copy is made). */
export interface MatmulOptions {
  /** Use Aᵀ: a's last two axes are read swapped. */
  transposeA?: boolean;
  /** Use Bᵀ: b's last two axes are read swapped. */
  transposeB?: boolean;
}

/**
 * Matrix product op(a)·op(b). 2-D: [m,k]·[k,n] → [m,n]. 1-D operands act as a row (a) or a
 * column (b) vector whose axis is dropped from the result, as in NumPy. Higher ranks are
 * batches of matrices with NumPy-broadcast batch axes.
 */
export function matmul(a: TensorLike, b: TensorLike, options: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  return withOperands(op, [a, b], ([ta, tb]) => {
    if (ta!.rank === 0 || tb!.rank === 0) {
      throw new ShapeError(`matmul: ${fmtShape(ta!.shape)}·${fmtShape(tb!.shape)}: both operands need rank ≥ 1`);
    }
    const tA = !!options.transposeA && ta!.rank >= 2;
    const tB = !!options.transposeB && tb!.rank >= 2;
    const aShape = ta!.rank === 1 ? [1, ta!.shape[0]!] : ta!.shape;
    const bShape = tb!.rank === 1 ? [tb!.shape[0]!, 1] : tb!.shape;
    const ar = aShape.length;
    const br = bShape.length;
    const m = tA ? aShape[ar - 1]! : aShape[ar - 2]!;
    const k = tA ? aShape[ar - 2]! : aShape[ar - 1]!;
    const k2 = tB ? bShape[br - 1]! : bShape[br - 2]!;
    const n = tB ? bShape[br - 2]! : bShape[br - 1]!;
    if (k !== k2) {
      const ta_ = tA ? 'ᵀ' : '';
      const tb_ = tB ? 'ᵀ' : '';
      throw new ShapeError(`matmul: ${fmtShape(ta!.shape)}${ta_}·${fmtShape(tb!.shape)}${tb_}: inner dimensions ${k} and ${k2} differ`);
    }
    const aBatch = aShape.slice(0, -2);
    const bBatch = bShape.slice(0, -2);
    const batch = broadcastShapes(op, aBatch, bBatch);
    const outShape = [...batch, ...(ta!.rank === 1 ? [] : [m]), ...(tb!.rank === 1 ? [] : [n])];
    const dtype = floatType(ta!, tb!);
    const out = new Tensor(outShape, dtype);
    if (out.size === 0) return out;
    if (k === 0) {
      fillInPlace(out, 0);
      return out;
    }
    const fa = asFloat(ta!, dtype);
    const fb = asFloat(tb!, dtype);
    const gemm = dtype === 'float64' ? gemm64 : gemm32;
    const bytes = itemSize(dtype);
    const work = rt().gemmWork;
    const lda = tA ? m : k;
    const ldb = tB ? k : n;
    const pa = fa.ptr(op);
    const pb = fb.ptr(op);
    const pc = out.ptr(op);
    const nBatch = sizeOf(batch);
    if (bBatch.length === 0 && !tA) {
      // one tall GEMM: the batch axes of A fold into its rows
      gemm(0, tB ? 1 : 0, m * nBatch, n, k, pa, lda, pb, ldb, pc, n, 0, work);
    } else {
      const sa = broadcastStrides(aBatch, batch);
      const sb = broadcastStrides(bBatch, batch);
      const idx = new Array<number>(batch.length).fill(0);
      for (let i = 0; i < nBatch; i++) {
        let oa = 0;
        let ob = 0;
        for (let d = 0; d < batch.length; d++) {
          oa += idx[d]! * sa[d]!;
          ob += idx[d]! * sb[d]!;
        }
        gemm(
          tA ? 1 : 0,
          tB ? 1 : 0,
          m,
          n,
          k,
          pa + oa * m * k * bytes,
          lda,
          pb + ob * k * n * bytes,
          ldb,
          pc + i * m * n * bytes,
          n,
          0,
          work,
        );
        for (let d = batch.length - 1; d >= 0; d--) {
          if (++idx[d]! < batch[d]!) break;
          idx[d] = 0;
        }
      }
    }
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

/**
 * x·Wᵀ + b, as PyTorch's `F.linear`: x [..., in], weight [out, in], an optional bias [out] → [..., out].
 * For an output of up to 2 MiB the bias is written into every row first and the GEMM adds the
 * product to it (no separate pass over the output); a larger output gets the bias added in place.
 * The leading axes of x fold into the rows.
 *
 * @example
 * ```ts
 * linear(tensor([[1, 2]]), tensor([[1, 0], [1, 1]]), tensor([0.5, 0])).toArray(); // [[1.5, 3]]
 * ```
 */
export function linear(x: TensorLike, weight: TensorLike, bias: TensorLike | null = null): Tensor {
  const op = 'linear';
  return withOperands(op, bias === null ? [x, weight] : [x, weight, bias], ([tx, tw, given]) => {
    const tb = given ?? null;
    if (tw!.rank !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${fmtShape(tw!.shape)}`);
    const [outF, inF] = tw!.shape as [number, number];
    if (tx!.rank === 0 || tx!.shape[tx!.rank - 1] !== inF) {
      throw new ShapeError(
        `linear: input ${fmtShape(tx!.shape)} must end in the weight's ${inF} input features (weight ${fmtShape(tw!.shape)})`,
      );
    }
    if (tb && (tb.rank !== 1 || tb.shape[0] !== outF)) throw new ShapeError(`linear: bias must be [${outF}], got ${fmtShape(tb.shape)}`);
    for (const [name, t] of [
      ['input', tx!],
      ['weight', tw!],
      ['bias', tb],
    ] as const) {
      if (t && t.dtype === 'int32')
        throw new DTypeError(`linear: needs float32 or float64 operands, got an int32 ${name} ${fmtShape(t.shape)}`);
    }
    const dtype = floatType(tx!, tw!, ...(tb ? [tb] : []));
    const out = new Tensor([...tx!.shape.slice(0, -1), outF], dtype);
    if (out.size === 0) return out;
    // the leading axes' product (x.size / inF would be 0/0 with no input features)
    const rows = sizeOf(tx!.shape.slice(0, -1));
    const bytes = itemSize(dtype);
    const po = out.ptr(op);
    // a bias first and the product added to it saves a pass over an output that stays in cache;
    // a larger one is written by the product and the bias added in place after (the product's
    // loads of C would miss cache tile by tile)
    const preload = tb !== null && out.size * bytes <= PRELOAD_BYTES;
    if (tb && preload) {
      const fb = asFloat(tb, dtype);
      const pb = fb.ptr(op);
      if (splitsAbove(out.size))
        splitRange('bc_tile_rows', bytes as 4 | 8, rows, out.size, 1, 0, (s, c) => [pb, po + s * outF * bytes, c, outF]);
      else (dtype === 'float64' ? kernels().bc_tile_rows_f64 : kernels().bc_tile_rows_f32)(pb, po, rows, outF);
      releaseIfNew(fb, tb);
    } else if (inF === 0) fillInPlace(out, 0);
    if (inF > 0) {
      const fx = asFloat(tx!, dtype);
      const fw = asFloat(tw!, dtype);
      (dtype === 'float64' ? gemm64 : gemm32)(
        0,
        1,
        rows,
        outF,
        inF,
        fx.ptr(op),
        inF,
        fw.ptr(op),
        inF,
        po,
        outF,
        preload ? 1 : 0,
        rt().gemmWork,
      );
      releaseIfNew(fx, tx!);
      releaseIfNew(fw, tw!);
    }
    if (tb && !preload) {
      const fb = asFloat(tb, dtype);
      addRowInPlace(po, fb.ptr(op), rows, outF, bytes as 4 | 8);
      releaseIfNew(fb, tb);
    }
    return out;
  });
}

/** Outputs of linear up to this size get the bias before the product (see linear). */
const PRELOAD_BYTES = 1 << 21;

/** out[r, :] += b[:] for `rows` rows of n, in place, split by rows when large. */
function addRowInPlace(po: number, pb: number, rows: number, n: number, bytes: 4 | 8): void {
  const total = rows * n;
  if (splitsAbove(total) && rows > 1) {
    splitRange('bc_binary_rows', bytes, rows, total, 1, 0, (s, c) => [
      BIN_ADD,
      po + s * n * bytes,
      n,
      1,
      pb,
      0,
      1,
      po + s * n * bytes,
      c,
      n,
    ]);
  } else (bytes === 8 ? kernels().bc_binary_rows_f64 : kernels().bc_binary_rows_f32)(BIN_ADD, po, n, 1, pb, 0, 1, po, rows, n);
}
