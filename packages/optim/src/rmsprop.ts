import type { Variable } from '@gd/autograd';
import { adagradUpdate, rmspropUpdate, type Tensor, ValueError } from '@gd/tensor';
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
    const { alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = options;
    const checked = this.checkedOptions('RMSprop', { alpha, eps, weightDecay, momentum, centered }, '');
    this.alpha = checked.alpha;
    this.eps = checked.eps;
    this.weightDecay = checked.weightDecay;
    this.momentum = checked.momentum;
    this.centered = checked.centered;
  }

  protected override checkedOptions(op: string, o: Record<string, unknown>, prefix: string) {
    return {
      alpha: checkNumber(op, `${prefix}alpha`, o.alpha, { lo: 0, hi: 1 }),
      eps: checkNumber(op, `${prefix}eps`, o.eps, { lo: 0, loOpen: true }),
      weightDecay: checkNumber(op, `${prefix}weightDecay`, o.weightDecay, { lo: 0 }),
      momentum: checkNumber(op, `${prefix}momentum`, o.momentum, { lo: 0 }),
      centered: checkBoolean(op, `${prefix}centered`, o.centered),
    };
  }

  get type(): string {
    return 'RMSprop';
  }

  protected get slotNames() {
    return ['squareAvg', 'momentumBuffer', 'gradAvg'];
  }

  protected override get nonNegativeSlots() {
    return ['squareAvg'];
  }

  /**
   * Centered: the mean square is at least the squared mean (s ≥ ḡ², by Cauchy–Schwarz over the
   * same weights), else √(s − ḡ²) is NaN; a relative slack of 1e-5 leaves float rounding alone.
   */
  protected override checkSlots(op: string, i: number, slots: Record<string, number[]>): void {
    const { squareAvg: s, gradAvg: ga } = slots;
    if (!s || !ga) return;
    const bad = s.findIndex((v, k) => ga[k]! * ga[k]! > v * (1 + 1e-5));
    if (bad >= 0) {
      throw new ValueError(
        `${op}: state of parameter ${i} at ${bad}: squareAvg ${s[bad]} is below gradAvg² = ${ga[bad]! * ga[bad]!}; a mean square is never below the squared mean`,
      );
    }
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
 * Adagrad: per-coordinate rates η/√(Σ g²), with optional rate decay η/(1 + (t − 1)·decay), t
 * the steps this parameter took.
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
    const { lrDecay = 0, weightDecay = 0, eps = 1e-10 } = options;
    const checked = this.checkedOptions('Adagrad', { lrDecay, weightDecay, eps }, '');
    this.lrDecay = checked.lrDecay;
    this.weightDecay = checked.weightDecay;
    this.eps = checked.eps;
  }

  protected override checkedOptions(op: string, o: Record<string, unknown>, prefix: string) {
    return {
      lrDecay: checkNumber(op, `${prefix}lrDecay`, o.lrDecay, { lo: 0 }),
      weightDecay: checkNumber(op, `${prefix}weightDecay`, o.weightDecay, { lo: 0 }),
      eps: checkNumber(op, `${prefix}eps`, o.eps, { lo: 0, loOpen: true }),
    };
  }

  get type(): string {
    return 'Adagrad';
  }

  protected get slotNames() {
    return ['sum'];
  }

  protected override get nonNegativeSlots() {
    return ['sum'];
  }

  protected get options() {
    return { lrDecay: this.lrDecay, weightDecay: this.weightDecay, eps: this.eps };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const sum = this.slot(i, 'sum');
    // the parameter's own step, as PyTorch's state[p]['step']
    const lr = this.lr / (1 + (this.steps[i]! - 1) * this.lrDecay);
    adagradUpdate(p.value, g, sum, { lr, eps: this.eps, weightDecay: this.weightDecay });
  }
}
