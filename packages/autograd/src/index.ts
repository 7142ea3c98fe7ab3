/**
 * @gd/autograd — reverse-mode automatic differentiation over @gd/tensor. Variables mirror the
 * Tensor ops and record a graph; backward() applies the chain rule from the output to every
 * leaf (the tutorial's backpropagation, seed §2.5).
 *
 * @packageDocumentation
 */
export { Variable, variable, asVariable, noGrad, isGradEnabled, concat, stack, topologicalOrder } from './variable.js';
export type { BackwardOptions, VariableLike, Backward } from './variable.js';
export { opTable, apply } from './ops.js';
export type { OpSpec, OpContext, OpName } from './ops.js';
export { grad, valueAndGrad } from './functional.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { toDot } from './dot.js';
export type { DotOptions } from './dot.js';
