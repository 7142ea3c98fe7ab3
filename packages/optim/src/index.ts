/**
 * @gd/optim — gradient descent and its descendants: the tutorial's minimize loop with its three
 * convergence criteria (seed §2.2), minibatch SGD (§2.4), momentum, Adam, AdamW, RMSprop,
 * Adagrad, gradient clipping and learning-rate schedules. Each update is one fused WASM pass.
 *
 * @packageDocumentation
 */
export { Optimizer, paramList } from './optimizer.js';
export type { Params, OptimizerState } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { RMSprop, Adagrad } from './rmsprop.js';
export type { RMSpropOptions, AdagradOptions } from './rmsprop.js';
export { clipGradNorm, clipGradValue, gradNorm } from './clip.js';
export { schedules } from './schedules.js';
export type { Schedule } from './schedules.js';
export { minimize } from './minimize.js';
export type { MinimizeOptions, MinimizeResult, StepInfo, StopReason } from './minimize.js';
export { batches } from './batches.js';
export type { BatchOptions, Batches, Dataset } from './batches.js';
