/**
 * @gd/losses — loss functions on Tensors (values) and Variables (differentiable), with
 * PyTorch's definitions and reductions, and the information theory behind cross-entropy:
 * information content, entropy, cross-entropy and KL divergence in any base (seed §1).
 *
 * @packageDocumentation
 */
export { mse, mae, huber, hinge } from './regression.js';
export type { HuberOptions, HingeOptions } from './regression.js';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, nllLoss, klDivergence } from './classification.js';
export type { BinaryOptions, LogitsOptions, CrossEntropyOptions, KLOptions } from './classification.js';
export { informationContent, entropy, crossEntropyOf, klDivergenceOf } from './information.js';
export type { InfoOptions, DistributionOptions } from './information.js';
export type { Reduction, LossOptions, Loss } from './common.js';
