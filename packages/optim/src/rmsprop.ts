import type { Variable } from '@gd/autograd';
import { adagradUpdate, rmspropUpdate, type Tensor } from '@gd/tensor';
import { checkBoolean, checkNumber, checkOptions, Optimizer, type Params } from './optimizer.js';

/** Options of RMSprop, as PyTorch's. */
export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/**
 * RMSprop: divides the gradient by a running root-mean-square of recent gradients (PyTorch's
 * rule, optionally centered and with momentum).
 *
 * @example
 * ```ts
 * const opt = new RMSprop(model, { lr: 0.01 });
 * ```
 */
export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;

  constructor(params: Params, options: RMSpropOptions = {}) {
    super(params, checkOptions('RMSprop', options, false).lr ?? 0.01);
    this.alpha = checkNumber('RMSprop', 'alpha', options.alpha ?? 0.99, { lo: 0, hi: 1 });
    this.eps = checkNumber('RMSprop', 'eps', options.eps ?? 1e-8, { lo: 0, loOpen: true });
    this.weightDecay = checkNumber('RMSprop', 'weightDecay', options.weightDecay ?? 0, { lo: 0 });
    this.momentum = checkNumber('RMSprop', 'momentum', options.momentum ?? 0, { lo: 0 });
    this.centered = checkBoolean('RMSprop', 'centered', options.centered ?? false);
  }

  get type(): string {
    return 'RMSprop';
  }

  protected get slotNames() {
    return ['squareAvg', 'momentumBuffer', 'gradAvg'];
  }

  protected get options() {
    return { alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const sq = this.slot(i, 'squareAvg');
    const buf = this.momentum > 0 ? this.slot(i, 'momentumBuffer') : sq;
    const gavg = this.centered ? this.slot(i, 'gradAvg') : sq;
    rmspropUpdate(p.value, g, sq, buf, gavg, { ...this.options, lr: this.lr });
  }
}

/** Options of Adagrad, as PyTorch's. */
export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  eps?: number;
}

/**
 * Adagrad: per-coordinate rates η/√(Σ g²), with optional rate decay η/(1 + (t − 1)·decay).
 *
 * @example
 * ```ts
 * const opt = new Adagrad(model, { lr: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer {
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly eps: number;

  constructor(params: Params, options: AdagradOptions = {}) {
    super(params, checkOptions('Adagrad', options, false).lr ?? 0.01);
    this.lrDecay = checkNumber('Adagrad', 'lrDecay', options.lrDecay ?? 0, { lo: 0 });
    this.weightDecay = checkNumber('Adagrad', 'weightDecay', options.weightDecay ?? 0, { lo: 0 });
    this.eps = checkNumber('Adagrad', 'eps', options.eps ?? 1e-10, { lo: 0, loOpen: true });
  }

  get type(): string {
    return 'Adagrad';
  }

  protected get slotNames() {
    return ['sum'];
  }

  protected get options() {
    return { lrDecay: this.lrDecay, weightDecay: this.weightDecay, eps: this.eps };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const sum = this.slot(i, 'sum');
    const lr = this.lr / (1 + (this.stepCount - 1) * this.lrDecay);
    adagradUpdate(p.value, g, sum, { lr, eps: this.eps, weightDecay: this.weightDecay });
  }
}
