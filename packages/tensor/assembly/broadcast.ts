// Strided kernels with NumPy broadcasting: binary ops, comparisons, where(cond, a, b), and the
// strided copy behind transpose/slice/broadcastTo. The TypeScript side collapses shapes and
// writes a plan into `meta` (int32 words): shape[nd], one stride array of nd words per input
// (element strides, 0 on broadcast axes), then scratch for the walker. The output is contiguous. The innermost axis is the hot loop: f32x4 when both inputs are
// contiguous there, or when one is a broadcast scalar along it.

import { floatOnly, fpow, geluErfGradScalar, geluTanhGradScalar } from './math';

// Op codes of this family: the one source (scripts/build-wasm.mjs reads these lines into
// src/generated/opcodes.ts; `@int32` marks a code that has an int32 kernel too). A code whose doc
// comment names an `@op` is a public op of two broadcasting tensors: build-wasm.mjs writes its
// function (src/generated/binary.ts, with that comment as its documentation) and
// build-methods.mjs its Tensor method, as for the unary ops of elementwise.ts.
// Binary elementwise with broadcasting (bc_binary_*): out = f(a, b)
/** a + b with broadcasting. @op add */
const BIN_ADD: i32 = 0; // @int32
/** a − b with broadcasting. @op sub */
const BIN_SUB: i32 = 1; // @int32
/** a · b with broadcasting. @op mul */
const BIN_MUL: i32 = 2; // @int32
/** a / b with broadcasting (true division). @op div */
const BIN_DIV: i32 = 3;
/** aᵇ with broadcasting. @op pow */
const BIN_POW: i32 = 4;
/** Elementwise max(a, b). @op maximum */
const BIN_MAX: i32 = 5; // @int32
/** Elementwise min(a, b). @op minimum */
const BIN_MIN: i32 = 6; // @int32
// gradient helpers: a = upstream gradient dy, b = the saved forward input or output
const BIN_RELU_GRAD: i32 = 7; // b > 0 ? a : 0            (b = x)
const BIN_SIGMOID_GRAD: i32 = 8; // a * b * (1 - b)       (b = sigmoid(x))
const BIN_TANH_GRAD: i32 = 9; // a * (1 - b * b)          (b = tanh(x))
const BIN_GELU_TANH_GRAD: i32 = 10; // a * gelu_tanh'(b)  (b = x)
const BIN_GELU_GRAD: i32 = 11; // a * gelu'(b), exact GELU (b = x)

// Comparisons with broadcasting (bc_compare_*): out (int32) = a ? b ? 1 : 0
const CMP_EQ: i32 = 0;
const CMP_NE: i32 = 1;
const CMP_GT: i32 = 2;
const CMP_GE: i32 = 3;
const CMP_LT: i32 = 4;
const CMP_LE: i32 = 5;


// Kernel bodies are generic over the element type T (byte offsets are indices times sizeof<T>(),
// a v128 holds 16 / sizeof<T>() lanes); the exports are their f32 and i32 instantiations.

@inline function binaryHasSimd(op: i32): bool {
  return op != BIN_POW && op != BIN_GELU_TANH_GRAD && op != BIN_GELU_GRAD;
}

@inline function binaryScalar<T>(op: i32, a: T, b: T): T {
  switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    case BIN_DIV: return a / b;
    case BIN_MAX: return max<T>(a, b);
    case BIN_MIN: return min<T>(a, b);
    case BIN_POW: {
      if (isFloat<T>()) return fpow<T>(a, b);
      return a;
    }
    case BIN_RELU_GRAD: return b > <T>0 ? a : <T>0;
    case BIN_SIGMOID_GRAD: return a * b * (<T>1 - b);
    case BIN_TANH_GRAD: return a * (<T>1 - b * b);
    case BIN_GELU_TANH_GRAD: {
      if (isFloat<T>()) return a * geluTanhGradScalar<T>(b);
      return a;
    }
    case BIN_GELU_GRAD: {
      if (isFloat<T>()) return a * geluErfGradScalar<T>(b);
      return a;
    }
    default: return a;
  }
}

@inline function binaryVec<T>(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BIN_ADD: return v128.add<T>(a, b);
    case BIN_SUB: return v128.sub<T>(a, b);
    case BIN_MUL: return v128.mul<T>(a, b);
    case BIN_DIV: {
      if (isFloat<T>()) return v128.div<T>(a, b);
      return a;
    }
    case BIN_MAX: return v128.max<T>(a, b);
    case BIN_MIN: return v128.min<T>(a, b);
    case BIN_RELU_GRAD: return v128.and(a, v128.gt<T>(b, v128.splat<T>(0)));
    case BIN_SIGMOID_GRAD: return v128.mul<T>(v128.mul<T>(a, b), v128.sub<T>(v128.splat<T>(1), b));
    case BIN_TANH_GRAD: return v128.mul<T>(a, v128.sub<T>(v128.splat<T>(1), v128.mul<T>(b, b)));
    default: return a;
  }
}

// One row of the innermost axis: n elements, input strides sa, sb (elements), output contiguous.
@inline function binaryRow<T>(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  let i = 0;
  if (binaryHasSimd(op)) {
    if (sa == 1 && sb == 1) {
      for (; i + lanes <= n; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        v128.store(out + o, binaryVec<T>(op, v128.load(a + o), v128.load(b + o)));
      }
    } else if (sa == 1 && sb == 0) {
      const vb = v128.splat<T>(load<T>(b));
      for (; i + lanes <= n; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        v128.store(out + o, binaryVec<T>(op, v128.load(a + o), vb));
      }
    } else if (sa == 0 && sb == 1) {
      const va = v128.splat<T>(load<T>(a));
      for (; i + lanes <= n; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        v128.store(out + o, binaryVec<T>(op, va, v128.load(b + o)));
      }
    }
  }
  const sab = (<usize>sa) * sizeof<T>();
  const sbb = (<usize>sb) * sizeof<T>();
  let pa = a + sab * (<usize>i);
  let pb = b + sbb * (<usize>i);
  for (; i < n; i++) {
    store<T>(out + (<usize>i) * sizeof<T>(), binaryScalar<T>(op, load<T>(pa), load<T>(pb)));
    pa += sab;
    pb += sbb;
  }
}

// The row walker shared by every broadcast kernel. A plan for `nIn` inputs is laid out in `meta`
// as shape[nd], then nIn stride arrays of nd words, then nd counters, then nIn current row
// pointers. `planStart` zeroes the counters and returns the row count; `planNextRow` advances
// the counters like an odometer and moves each input's row pointer by its strides.
@inline function planCounters(meta: usize, nd: i32, nIn: i32): usize {
  return meta + ((<usize>((1 + nIn) * nd)) << 2);
}

@inline function planPointers(meta: usize, nd: i32, nIn: i32): usize {
  return meta + ((<usize>((2 + nIn) * nd)) << 2);
}

@inline function planWord(meta: usize, index: i32): i32 {
  return load<i32>(meta + ((<usize>index) << 2));
}

function planStart(meta: usize, nd: i32, nIn: i32): i32 {
  const ctr = planCounters(meta, nd, nIn);
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) {
    rows *= planWord(meta, d);
    store<i32>(ctr + ((<usize>d) << 2), 0);
  }
  return rows;
}

// `wide` has bit k set when input k has 8-byte elements (float64); the others are 4 bytes.
function planNextRow(meta: usize, nd: i32, nIn: i32, wide: u32): void {
  const ctr = planCounters(meta, nd, nIn);
  const ptrs = planPointers(meta, nd, nIn);
  let d = nd - 2;
  while (d >= 0) {
    const dim = planWord(meta, d);
    const c = load<i32>(ctr + ((<usize>d) << 2)) + 1;
    const carry = c >= dim;
    store<i32>(ctr + ((<usize>d) << 2), carry ? 0 : c);
    for (let k = 0; k < nIn; k++) {
      // strides are non-negative; rewinding subtracts in unsigned (wrapping) arithmetic, so a
      // row pointer above 2^31 never passes through a negative number
      const stride = (<usize>planWord(meta, (1 + k) * nd + d)) << (2 + ((wide >>> <u32>k) & 1));
      const p = ptrs + ((<usize>k) << 2);
      const at = <usize>load<u32>(p);
      store<u32>(p, <u32>(carry ? at - stride * (<usize>(dim - 1)) : at + stride));
    }
    if (!carry) return;
    d--;
  }
}

@inline function planPointer(meta: usize, nd: i32, nIn: i32, k: i32): usize {
  return <usize>load<u32>(planPointers(meta, nd, nIn) + ((<usize>k) << 2));
}

@inline function planSetPointer(meta: usize, nd: i32, nIn: i32, k: i32, p: usize): void {
  store<u32>(planPointers(meta, nd, nIn) + ((<usize>k) << 2), <u32>p);
}

@inline function binaryNd<T>(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  const inner = planWord(meta, nd - 1);
  const sa = planWord(meta, 2 * nd - 1);
  const sb = planWord(meta, 3 * nd - 1);
  const rows = planStart(meta, nd, 2);
  planSetPointer(meta, nd, 2, 0, a);
  planSetPointer(meta, nd, 2, 1, b);
  let po = out;
  const rowBytes = (<usize>inner) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    binaryRow<T>(op, planPointer(meta, nd, 2, 0), sa, planPointer(meta, nd, 2, 1), sb, po, inner);
    po += rowBytes;
    planNextRow(meta, nd, 2, sizeof<T>() == 8 ? 3 : 0);
  }
}

// Integer types take only the codes marked @int32 above; the others trap.
@inline function binaryDispatch<T>(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  switch (op) {
    case BIN_ADD: binaryNd<T>(BIN_ADD, a, b, out, nd, meta); break;
    case BIN_SUB: binaryNd<T>(BIN_SUB, a, b, out, nd, meta); break;
    case BIN_MUL: binaryNd<T>(BIN_MUL, a, b, out, nd, meta); break;
    case BIN_MAX: binaryNd<T>(BIN_MAX, a, b, out, nd, meta); break;
    case BIN_MIN: binaryNd<T>(BIN_MIN, a, b, out, nd, meta); break;
    case BIN_DIV: floatOnly<T>(); binaryNd<T>(BIN_DIV, a, b, out, nd, meta); break;
    case BIN_POW: floatOnly<T>(); binaryNd<T>(BIN_POW, a, b, out, nd, meta); break;
    case BIN_RELU_GRAD: floatOnly<T>(); binaryNd<T>(BIN_RELU_GRAD, a, b, out, nd, meta); break;
    case BIN_SIGMOID_GRAD: floatOnly<T>(); binaryNd<T>(BIN_SIGMOID_GRAD, a, b, out, nd, meta); break;
    case BIN_TANH_GRAD: floatOnly<T>(); binaryNd<T>(BIN_TANH_GRAD, a, b, out, nd, meta); break;
    case BIN_GELU_TANH_GRAD: floatOnly<T>(); binaryNd<T>(BIN_GELU_TANH_GRAD, a, b, out, nd, meta); break;
    case BIN_GELU_GRAD: floatOnly<T>(); binaryNd<T>(BIN_GELU_GRAD, a, b, out, nd, meta); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** float32 binary op with broadcasting; `op` is one of the BIN_* codes. */
export function bc_binary_f32(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  binaryDispatch<f32>(op, a, b, out, nd, meta);
}

/** float64 binary op with broadcasting; `op` is one of the BIN_* codes. */
export function bc_binary_f64(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  binaryDispatch<f64>(op, a, b, out, nd, meta);
}

// `rows` rows of n elements, contiguous output: row r of a starts ra elements after row r − 1
// (n, or 0 for one row broadcast down), its elements sa apart (1, or 0 for one element broadcast);
// likewise b. One plan-free kernel for the shapes a training step makes most (equal shapes, a
// tensor and a scalar, a bias row added to every row) that threads can split by rows or, for one
// row, by ranges of it.
@inline function binaryRows<T>(op: i32, a: usize, ra: i32, sa: i32, b: usize, rb: i32, sb: i32, out: usize, rows: i32, n: i32): void {
  const rowBytes = (<usize>n) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const at = <usize>r;
    binaryRow<T>(op, a + at * (<usize>ra) * sizeof<T>(), sa, b + at * (<usize>rb) * sizeof<T>(), sb, out + at * rowBytes, n);
  }
}

@inline function binaryRowsDispatch<T>(op: i32, a: usize, ra: i32, sa: i32, b: usize, rb: i32, sb: i32, out: usize, rows: i32, n: i32): void {
  switch (op) {
    case BIN_ADD: binaryRows<T>(BIN_ADD, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_SUB: binaryRows<T>(BIN_SUB, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_MUL: binaryRows<T>(BIN_MUL, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_MAX: binaryRows<T>(BIN_MAX, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_MIN: binaryRows<T>(BIN_MIN, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_DIV: binaryRows<T>(BIN_DIV, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_POW: binaryRows<T>(BIN_POW, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_RELU_GRAD: binaryRows<T>(BIN_RELU_GRAD, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_SIGMOID_GRAD: binaryRows<T>(BIN_SIGMOID_GRAD, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_TANH_GRAD: binaryRows<T>(BIN_TANH_GRAD, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_GELU_TANH_GRAD: binaryRows<T>(BIN_GELU_TANH_GRAD, a, ra, sa, b, rb, sb, out, rows, n); break;
    case BIN_GELU_GRAD: binaryRows<T>(BIN_GELU_GRAD, a, ra, sa, b, rb, sb, out, rows, n); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** float32 binary op over `rows` rows of n (see binaryRows: row steps ra, rb and element strides sa, sb of 0 or 1); no plan. */
export function bc_binary_rows_f32(op: i32, a: usize, ra: i32, sa: i32, b: usize, rb: i32, sb: i32, out: usize, rows: i32, n: i32): void {
  binaryRowsDispatch<f32>(op, a, ra, sa, b, rb, sb, out, rows, n);
}

/** float64 binary op over rows, as bc_binary_rows_f32. */
export function bc_binary_rows_f64(op: i32, a: usize, ra: i32, sa: i32, b: usize, rb: i32, sb: i32, out: usize, rows: i32, n: i32): void {
  binaryRowsDispatch<f64>(op, a, ra, sa, b, rb, sb, out, rows, n);
}

/** int32 binary op with broadcasting (wrapping arithmetic): the codes marked @int32. */
export function bc_binary_i32(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  binaryDispatch<i32>(op, a, b, out, nd, meta);
}

@inline function compareScalar<T>(op: i32, a: T, b: T): i32 {
  switch (op) {
    case CMP_EQ: return <i32>(a == b);
    case CMP_NE: return <i32>(a != b);
    case CMP_GT: return <i32>(a > b);
    case CMP_GE: return <i32>(a >= b);
    case CMP_LT: return <i32>(a < b);
    case CMP_LE: return <i32>(a <= b);
    default: return 0;
  }
}

@inline function compareNd<T>(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  const inner = planWord(meta, nd - 1);
  const sab = (<usize>planWord(meta, 2 * nd - 1)) * sizeof<T>();
  const sbb = (<usize>planWord(meta, 3 * nd - 1)) * sizeof<T>();
  const rows = planStart(meta, nd, 2);
  planSetPointer(meta, nd, 2, 0, a);
  planSetPointer(meta, nd, 2, 1, b);
  let po = out;
  for (let r = 0; r < rows; r++) {
    let qa = planPointer(meta, nd, 2, 0);
    let qb = planPointer(meta, nd, 2, 1);
    for (let i = 0; i < inner; i++) {
      store<i32>(po, compareScalar<T>(op, load<T>(qa), load<T>(qb)));
      po += 4;
      qa += sab;
      qb += sbb;
    }
    planNextRow(meta, nd, 2, sizeof<T>() == 8 ? 3 : 0);
  }
}

@inline function compareDispatch<T>(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  switch (op) {
    case CMP_EQ: compareNd<T>(CMP_EQ, a, b, out, nd, meta); break;
    case CMP_NE: compareNd<T>(CMP_NE, a, b, out, nd, meta); break;
    case CMP_GT: compareNd<T>(CMP_GT, a, b, out, nd, meta); break;
    case CMP_GE: compareNd<T>(CMP_GE, a, b, out, nd, meta); break;
    case CMP_LT: compareNd<T>(CMP_LT, a, b, out, nd, meta); break;
    case CMP_LE: compareNd<T>(CMP_LE, a, b, out, nd, meta); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** float32 comparison with broadcasting; out is int32 0/1. */
export function bc_compare_f32(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  compareDispatch<f32>(op, a, b, out, nd, meta);
}

/** float64 comparison with broadcasting; out is int32 0/1. */
export function bc_compare_f64(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  compareDispatch<f64>(op, a, b, out, nd, meta);
}

/** int32 comparison with broadcasting; out is int32 0/1. */
export function bc_compare_i32(op: i32, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  compareDispatch<i32>(op, a, b, out, nd, meta);
}

/**
 * out = cond != 0 ? a : b with broadcasting over all three (a plan with 3 inputs: cond, a, b).
 * 32-bit words are copied as bits, so one kernel serves float32 and int32; cond is int32.
 */
export function bc_where_32(cond: usize, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  whereNd<u32>(cond, a, b, out, nd, meta);
}

/** out = cond != 0 ? a : b for 64-bit words (float64), broadcasting as bc_where_32; cond is int32. */
export function bc_where_64(cond: usize, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  whereNd<u64>(cond, a, b, out, nd, meta);
}

// W is the word copied (u32 for 32-bit dtypes); cond is always int32.
@inline function whereNd<W>(cond: usize, a: usize, b: usize, out: usize, nd: i32, meta: usize): void {
  const inner = planWord(meta, nd - 1);
  const scb = (<usize>planWord(meta, 2 * nd - 1)) << 2;
  const sab = (<usize>planWord(meta, 3 * nd - 1)) * sizeof<W>();
  const sbb = (<usize>planWord(meta, 4 * nd - 1)) * sizeof<W>();
  const rows = planStart(meta, nd, 3);
  planSetPointer(meta, nd, 3, 0, cond);
  planSetPointer(meta, nd, 3, 1, a);
  planSetPointer(meta, nd, 3, 2, b);
  let po = out;
  for (let r = 0; r < rows; r++) {
    let qc = planPointer(meta, nd, 3, 0);
    let qa = planPointer(meta, nd, 3, 1);
    let qb = planPointer(meta, nd, 3, 2);
    for (let i = 0; i < inner; i++) {
      store<W>(po, load<i32>(qc) != 0 ? load<W>(qa) : load<W>(qb));
      po += sizeof<W>();
      qc += scb;
      qa += sab;
      qb += sbb;
    }
    planNextRow(meta, nd, 3, sizeof<W>() == 8 ? 6 : 0);
  }
}

/**
 * Strided gather of 32-bit words into a contiguous output (a plan with 1 input): serves
 * transpose, slice and broadcastTo, for float32 and int32 alike.
 */
export function bc_copy_32(x: usize, out: usize, nd: i32, meta: usize): void {
  copyNd<u32>(x, out, nd, meta);
}

// out[r, :] = x[:] for `rows` rows of n elements, a vector at a time (memory.copy on a shared
// memory is several times slower than this loop).
@inline function tileRows<T>(x: usize, out: usize, rows: i32, n: i32): void {
  const size = <usize>sizeof<T>();
  const lanes = 16 / <i32>sizeof<T>();
  const rowBytes = (<usize>n) * size;
  for (let r = 0; r < rows; r++) {
    const dst = out + rowBytes * (<usize>r);
    let i = 0;
    for (; i + 4 * lanes <= n; i += 4 * lanes) {
      const o = (<usize>i) * size;
      v128.store(dst + o, v128.load(x + o));
      v128.store(dst + o + 16, v128.load(x + o + 16));
      v128.store(dst + o + 32, v128.load(x + o + 32));
      v128.store(dst + o + 48, v128.load(x + o + 48));
    }
    for (; i < n; i++) store<T>(dst + (<usize>i) * size, load<T>(x + (<usize>i) * size));
  }
}

/** out[r, :] = x[:] for `rows` rows of n float32 (a bias written into every row of a product's output before the product adds to it). */
export function bc_tile_rows_f32(x: usize, out: usize, rows: i32, n: i32): void {
  tileRows<f32>(x, out, rows, n);
}

/** bc_tile_rows_f32 for float64. */
export function bc_tile_rows_f64(x: usize, out: usize, rows: i32, n: i32): void {
  tileRows<f64>(x, out, rows, n);
}

/** Strided gather of 64-bit words (float64) into a contiguous output, as bc_copy_32. */
export function bc_copy_64(x: usize, out: usize, nd: i32, meta: usize): void {
  copyNd<u64>(x, out, nd, meta);
}

@inline function copyNd<W>(x: usize, out: usize, nd: i32, meta: usize): void {
  const inner = planWord(meta, nd - 1);
  const sx = planWord(meta, 2 * nd - 1);
  const sxb = (<usize>sx) * sizeof<W>();
  const rows = planStart(meta, nd, 1);
  planSetPointer(meta, nd, 1, 0, x);
  let po = out;
  const rowBytes = (<usize>inner) * sizeof<W>();
  for (let r = 0; r < rows; r++) {
    const qx = planPointer(meta, nd, 1, 0);
    if (sx == 1) {
      memory.copy(po, qx, rowBytes);
    } else {
      let q = qx;
      for (let i = 0; i < inner; i++) {
        store<W>(po + (<usize>i) * sizeof<W>(), load<W>(q));
        q += sxb;
      }
    }
    po += rowBytes;
    planNextRow(meta, nd, 1, sizeof<W>() == 8 ? 1 : 0);
  }
}
