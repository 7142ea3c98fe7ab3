/**
 * @gd/tensor — tensors whose data live in WebAssembly memory, computed by AssemblyScript SIMD
 * kernels. Creation, elementwise and broadcasting ops, reductions, softmax, matmul, indexing,
 * seeded randomness, and deterministic memory management with dispose/scope/keep.
 *
 * @packageDocumentation
 */
export { ready } from './runtime.js';
export { Tensor, scope, keep, memory, TENSORS } from './tensor.js';
export type { DType, NestedArray, TensorLike, MemoryInfo } from './tensor.js';
export {
  tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint, randperm, dropoutMask, manualSeed,
} from './creation.js';
export type { TensorOptions } from './creation.js';
export {
  add, sub, mul, div, pow, maximum, minimum, neg, abs, sqrt, exp, log, square, reciprocal, sign, clamp,
  relu, leakyRelu, gelu, sigmoid, tanh, affine, cast, clone, eq, ne, gt, ge, lt, le, where,
  sum, mean, max, min, argmax, argmin, softmax, logSoftmax, logSumExp, matmul,
  transpose, reshape, expandDims, squeeze, broadcastTo, sumTo, slice, gather, oneHot, concat, stack,
  fillInPlace, padSlice, reluBackward, sigmoidBackward, tanhBackward, geluBackward, softmaxBackward, gatherBackward,
} from './ops.js';
export type { MatmulOptions } from './ops.js';
export { broadcastShapes } from './shape.js';
export {
  axpyInPlace, sumOfSquares, copyInto, scaleInPlace, clampInPlace, sgdUpdate, adamUpdate, rmspropUpdate, adagradUpdate,
} from './inplace.js';
export type { SGDHyper, AdamHyper, RMSpropHyper } from './inplace.js';
export {
  GdError, ShapeError, DTypeError, DisposedError, ValueError, IndexError, MemoryError, StateError, fmtShape,
} from './errors.js';
