/**
 * @gd/optim — gradient descent and its descendants: the tutorial's minimize loop with its three
 * convergence criteria (docs/tutorial.md §2.2), minibatch SGD (§2.4), momentum, Adam, AdamW, RMSprop,
 * Adagrad, L-BFGS, Newton's method, gradient clipping and learning-rate schedules. Each update is one fused WASM pass.
 *
 * @packageDocumentation
 */

export type { AdamOptions } from './adam.js';
export { Adam, AdamW } from './adam.js';
export type { Batches, BatchOptions, Dataset } from './batches.js';
export { batches } from './batches.js';
export { clipGradNorm, clipGradValue, gradNorm } from './clip.js';
export type { LossClosure, TakesClosure } from './closure.js';
export type { DataLoaderOptions, RandomSplitOptions, ReadCsvOptions } from './data.js';
export { DataLoader, randomSplit, readCsv, TensorDataset } from './data.js';
export type { LBFGSOptions, LBFGSState } from './lbfgs.js';
export { LBFGS } from './lbfgs.js';
export type { MinimizeOptions, MinimizeResult, StepInfo, StopReason } from './minimize.js';
export { minimize } from './minimize.js';
export type { NewtonOptions } from './newton.js';
export { Newton } from './newton.js';
export type { OptimizerState, Params } from './optimizer.js';
export { Optimizer, paramList } from './optimizer.js';
export type { OptimizerEntry, OptimizerName, OptimizerOptions } from './registry.js';
export { createOptimizer, isOptimizerName, optimizerNames, optimizers } from './registry.js';
export type { AdagradOptions, RMSpropOptions } from './rmsprop.js';
export { Adagrad, RMSprop } from './rmsprop.js';
export type { Schedule } from './schedules.js';
export { schedules } from './schedules.js';
export type { SGDOptions } from './sgd.js';
export { SGD } from './sgd.js';
