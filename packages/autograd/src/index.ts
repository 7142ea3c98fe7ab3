/**
 * @gd/autograd — reverse-mode automatic differentiation over @gd/tensor. Variables mirror the
 * Tensor ops and record a graph; backward() applies the chain rule from the output to every
 * leaf (the tutorial's backpropagation, docs/tutorial.md §2.5).
 *
 * @packageDocumentation
 */

export type { DotOptions } from './dot.js';
export { toDot } from './dot.js';
export type { GradFn, Inputs, ScalarFn } from './functional.js';
export { grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from './functional.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { gradcheck, gradgradcheck } from './gradcheck.js';
export type { VariableLinalg } from './linalg.js';
export { linalg } from './linalg.js';
export type {
  AttentionAttrs,
  GradOps,
  GradRule,
  LayerNormAttrs,
  OnnxAttribute,
  OnnxBuilder,
  OnnxLowering,
  OpContext,
  OpName,
  OpSpec,
  Reduction,
  Val,
} from './ops.js';
export { binaryOps, helperOps, opTable, unaryOps } from './ops.js';
export type { Backward, BackwardOptions, GradientsOptions, VariableLike } from './variable.js';
export {
  apply,
  asVariable,
  concat,
  enableGrad,
  gradients,
  gruCell,
  isGradEnabled,
  layerNorm,
  linear,
  lstmCell,
  lstmSequence,
  markReplaced,
  noGrad,
  replacedBecause,
  retainingGraphs,
  stack,
  topologicalOrder,
  traceOps,
  Variable,
  variable,
} from './variable.js';
