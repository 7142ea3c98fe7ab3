/**
 * @gd/autograd — reverse-mode automatic differentiation over @gd/tensor. Variables mirror the
 * Tensor ops and record a graph; backward() applies the chain rule from the output to every
 * leaf (the tutorial's backpropagation, docs/tutorial.md §2.5).
 *
 * @packageDocumentation
 */

export type { DotOptions } from './dot.js';
export { toDot } from './dot.js';
export type { ScalarFn } from './functional.js';
export { grad, valueAndGrad } from './functional.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { gradcheck } from './gradcheck.js';
export type { OpContext, OpName, OpSpec } from './ops.js';
export { opTable } from './ops.js';
export type { Backward, BackwardOptions, VariableLike } from './variable.js';
export { apply, asVariable, concat, isGradEnabled, noGrad, stack, topologicalOrder, Variable, variable } from './variable.js';
