// Every optimizer that trains by step() alone, by name: what a command-line switch, a lesson or
// a demo offers reads this one list, so a new optimizer is one entry here. (LBFGS and Newton step
// with a closure that re-evaluates the loss; they are not interchangeable with these.)
import { ValueError } from '@gd/tensor';
import { Adam, type AdamOptions, AdamW } from './adam.js';
import type { Optimizer, Params } from './optimizer.js';
import { Adagrad, type AdagradOptions, RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';

/** The options every optimizer of the registry takes, with its own beside them. */
export type OptimizerOptions = { lr: number } & Record<string, unknown>;

/** One optimizer of the registry: its label, its preset options, and how to build it. */
export interface OptimizerEntry<O = OptimizerOptions> {
  /** How it is called in text ('SGD with momentum'). */
  readonly label: string;
  /** Options the entry sets before the caller's (momentum: 0.9 for 'momentum'). */
  readonly preset: Readonly<Partial<O>>;
  /** The optimizer over `params`: the preset, then `options`. */
  create(params: Params, options: O & { lr: number }): Optimizer;
}

function entry<O>(label: string, Class: new (params: Params, options: O) => Optimizer, preset: Partial<O> = {}): OptimizerEntry<O> {
  return { label, preset, create: (params, options) => new Class(params, { ...preset, ...options }) };
}

/**
 * The optimizers by name, each its class and preset options.
 *
 * @example
 * ```ts
 * const opt = optimizers.momentum.create(model, { lr: 0.1 }); // new SGD(model, { momentum: 0.9, lr: 0.1 })
 * ```
 */
export const optimizers = {
  sgd: entry<SGDOptions>('SGD', SGD),
  momentum: entry<SGDOptions>('SGD with momentum', SGD, { momentum: 0.9 }),
  adam: entry<AdamOptions>('Adam', Adam),
  adamw: entry<AdamOptions>('AdamW', AdamW),
  rmsprop: entry<RMSpropOptions>('RMSprop', RMSprop),
  adagrad: entry<AdagradOptions>('Adagrad', Adagrad),
};

/** The name of an optimizer of the registry. */
export type OptimizerName = keyof typeof optimizers;

/** The registry's names, in its order. */
export const optimizerNames = Object.keys(optimizers) as OptimizerName[];

/** Whether `name` names an optimizer of the registry. */
export function isOptimizerName(name: unknown): name is OptimizerName {
  return typeof name === 'string' && Object.hasOwn(optimizers, name);
}

/**
 * The optimizer of the registry called `name`, over `params`; a ValueError naming the choices
 * for any other name.
 *
 * @example
 * ```ts
 * const opt = createOptimizer('adam', model, { lr: 1e-3 });
 * ```
 */
export function createOptimizer(name: string, params: Params, options: OptimizerOptions): Optimizer {
  if (!isOptimizerName(name)) {
    throw new ValueError(
      `createOptimizer: unknown optimizer ${JSON.stringify(name) ?? String(name)}; expected one of ${optimizerNames.join(', ')}`,
    );
  }
  return (optimizers[name] as OptimizerEntry).create(params, options);
}
