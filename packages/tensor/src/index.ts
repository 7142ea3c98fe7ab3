/**
 * @gd/tensor — tensors whose data live in WebAssembly memory, computed by AssemblyScript SIMD
 * kernels. Creation, elementwise and broadcasting ops, reductions, softmax, matmul, indexing,
 * seeded randomness, and deterministic memory management with dispose/scope/keep.
 *
 * @packageDocumentation
 */

export type { Conv2dOptions, ConvGeometry, ConvTranspose2dOptions, MaxPoolResult, Pool2dOptions, PoolGeometry, Size2d } from './conv.js';
export {
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dGeometry,
  convTranspose2d,
  convTranspose2dBackwardInput,
  convTranspose2dGeometry,
  maxPool2d,
  maxPool2dBackward,
  maxPool2dWithIndices,
  poolGeometry,
} from './conv.js';
export type { TensorOptions } from './creation.js';
export { arange, dropoutMask, eye, full, linspace, manualSeed, ones, rand, randint, randn, randperm, tensor, zeros } from './creation.js';
export { DisposedError, DTypeError, fmtShape, GdError, IndexError, MemoryError, ShapeError, StateError, ValueError } from './errors.js';
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
export type { MatmulOptions } from './ops.js';
export {
  abs,
  add,
  affine,
  argmax,
  argmin,
  broadcastTo,
  cast,
  clamp,
  clone,
  concat,
  div,
  eq,
  exp,
  expandDims,
  fillInPlace,
  gather,
  gatherBackward,
  ge,
  gelu,
  geluBackward,
  gt,
  le,
  leakyRelu,
  log,
  logSoftmax,
  logSumExp,
  lt,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  ne,
  neg,
  oneHot,
  padSlice,
  pow,
  reciprocal,
  relu,
  reluBackward,
  reshape,
  sigmoid,
  sigmoidBackward,
  sign,
  slice,
  softmax,
  softmaxBackward,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  sumTo,
  tanh,
  tanhBackward,
  transpose,
  where,
} from './ops.js';
export type { ReadyOptions } from './runtime.js';
export { ready } from './runtime.js';
export { broadcastShapes, shapesEqual } from './shape.js';
export type { DType, MemoryInfo, NestedArray, TensorLike } from './tensor.js';
export { keep, memory, scope, TENSORS, Tensor } from './tensor.js';
export { setThreads, threadCount } from './threads.js';
