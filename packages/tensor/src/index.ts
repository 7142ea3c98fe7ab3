/**
 * @gd/tensor — tensors whose data live in WebAssembly memory, computed by AssemblyScript SIMD
 * kernels. Creation, elementwise and broadcasting ops, reductions, softmax, matmul, indexing,
 * seeded randomness, and deterministic memory management with dispose/scope/keep.
 *
 * @packageDocumentation
 */

export type { DTypeArg, TensorOptions } from './creation.js';
export {
  arange,
  dropoutMask,
  eye,
  full,
  getRngState,
  linspace,
  manualSeed,
  ones,
  rand,
  randint,
  randn,
  randperm,
  setRngState,
  tensor,
  zeros,
} from './creation.js';
export {
  DisposedError,
  DTypeError,
  fmtShape,
  GdError,
  IndexError,
  LinalgError,
  MemoryError,
  ShapeError,
  StateError,
  ValueError,
} from './errors.js';
// the elementwise ops, whole (the unary ones with elementwise.ts's others, the binary ones
// generated from their kernel codes): a new one needs no line here
export * from './generated/binary.js';
export type { AdamHyper, RMSpropHyper, SGDHyper } from './inplace.js';
export {
  adagradUpdate,
  adamUpdate,
  axpyInPlace,
  clampInPlace,
  copyInto,
  rmspropUpdate,
  scaleInPlace,
  sgdUpdate,
  sumOfSquares,
} from './inplace.js';
// the class with its fluent methods installed (methods.ts adds them to tensor.ts's class)
export { Tensor } from './methods.js';
export type { FusedAttentionOptions } from './ops/attention.js';
export { fusedAttention } from './ops/attention.js';
export type {
  Conv2dOptions,
  ConvGeometry,
  ConvTranspose2dOptions,
  MaxPoolResult,
  Pool2dOptions,
  PoolGeometry,
  Size2d,
} from './ops/conv.js';
export {
  adaptiveAvgPool2d,
  avgPool2d,
  conv2d,
  conv2dGeometry,
  convTranspose2d,
  convTranspose2dGeometry,
  maxPool2d,
  poolGeometry,
} from './ops/conv.js';
export * from './ops/elementwise.js';
export { checkOptions } from './ops/operands.js';
export type {
  LayerNormOptions,
  Linalg,
  LstmSequenceOptions,
  MatmulOptions,
  MultinomialOptions,
  TopkOptions,
  TopkResult,
  VarianceOptions,
} from './ops.js';
export {
  argmax,
  argmin,
  broadcastTo,
  cast,
  chunk,
  clone,
  concat,
  cumsum,
  eq,
  expandDims,
  fillInPlace,
  gather,
  ge,
  gruCell,
  gt,
  layerNorm,
  le,
  linalg,
  linear,
  logSoftmax,
  logSumExp,
  lstmCell,
  lstmSequence,
  lt,
  maskedFill,
  matmul,
  max,
  mean,
  min,
  multinomial,
  narrow,
  ne,
  oneHot,
  permute,
  promoteTypes,
  reshape,
  slice,
  sliceRange,
  softmax,
  softmaxCrossEntropy,
  split,
  squeeze,
  stack,
  std,
  sum,
  topk,
  transpose,
  tril,
  triu,
  variance,
  where,
} from './ops.js';
export type { KernelsInfo, ReadyOptions } from './ready.js';
export { kernelsInfo, ready } from './ready.js';
export { Recording, record, valueCheck } from './record.js';
export type { SimdBuild } from './runtime.js';
export type { SliceBounds, WindowOptions } from './shape.js';
export {
  broadcastShapes,
  convOutputSize,
  expandDimsShape,
  narrowBounds,
  poolOutputSize,
  rangeBounds,
  reshapeShape,
  shapesEqual,
  sliceBounds,
  squeezeShape,
} from './shape.js';
export type { Differentiable, DType, FloatDType, LeakReport, MemoryInfo, NestedArray, TensorLike } from './tensor.js';
export { DIFFERENTIABLE, freeOnThrow, itemSize, keep, memory, scope, setLeakWarning, TENSORS } from './tensor.js';
export { setThreads, threadCount } from './threads.js';
