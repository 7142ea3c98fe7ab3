/**
 * @gd/losses — loss functions on Tensors (values) and Variables (differentiable), with
 * PyTorch's definitions and reductions, and the information theory behind cross-entropy:
 * information content, entropy, cross-entropy and KL divergence in any base (docs/tutorial.md §1).
 *
 * @packageDocumentation
 */

export type { BinaryOptions, CrossEntropyOptions, KLOptions, LogitsOptions } from './classification.js';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, klDivergence, nllLoss } from './classification.js';
export type { Loss, LossOptions, Reduction } from './common.js';
export type { DistributionOptions, InfoOptions } from './information.js';
export { crossEntropyOf, entropy, informationContent, klDivergenceOf } from './information.js';
export type { HingeOptions, HuberOptions } from './regression.js';
export { hinge, huber, mae, mse } from './regression.js';
