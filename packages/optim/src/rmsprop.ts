import type { Variable } from '@gd/autograd';
import { adagradUpdate, rmspropUpdate, type Tensor, ValueError } from '@gd/tensor';
import { Optimizer, type Params } from './optimizer.js';

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
    super(params, options.lr ?? 0.01);
    this.alpha = options.alpha ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.momentum = options.momentum ?? 0;
    this.centered = options.centered ?? false;
    if (!(this.alpha >= 0 && this.alpha <= 1)) throw new ValueError(`RMSprop: alpha must be in [0, 1], got ${this.alpha}`);
  }

  get type(): string {
    return 'RMSprop';
  }

  protected get options() {
    return { alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const sq = this.slot(i, 'squareAvg');
    const buf = this.momentum > 0 ? this.slot(i, 'momentumBuffer') : sq;
    const gavg = this.centered ? this.slot(i, 'gradAvg') : sq;
    rmspropUpdate(p.value, g, sq, buf, gavg, {
      lr: this.lr,
      alpha: this.alpha,
      eps: this.eps,
      weightDecay: this.weightDecay,
      momentum: this.momentum,
      centered: this.centered,
    });
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
    super(params, options.lr ?? 0.01);
    this.lrDecay = options.lrDecay ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.eps = options.eps ?? 1e-10;
  }

  get type(): string {
    return 'Adagrad';
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
