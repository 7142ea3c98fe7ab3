import type { Variable } from '@gd/autograd';
import { adamUpdate, type Tensor, ValueError } from '@gd/tensor';
import { checkBoolean, checkNumber, checkOptions, Optimizer, type Params } from './optimizer.js';

/** Options of Adam and AdamW, as PyTorch's. */
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/**
 * Adam (Kingma & Ba) with bias correction and optional AMSGrad; weight decay is L2 added to the
 * gradient, as in PyTorch's Adam. Each parameter counts its own steps for the bias correction, so
 * one whose first gradient comes late takes a first step of lr, as PyTorch's does.
 *
 * @example
 * ```ts
 * const opt = new Adam(model, { lr: 1e-3 });
 * ```
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  protected readonly decoupled: boolean = false;

  constructor(params: Params, options: AdamOptions = {}) {
    super(params, checkOptions('Adam', options, false).lr ?? 1e-3);
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2)
      throw new ValueError(`${this.type}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
    const o = { beta1: betas[0], beta2: betas[1], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0 };
    const checked = this.checkedOptions(this.type, { ...o, amsgrad: options.amsgrad ?? false }, '');
    this.beta1 = checked.beta1;
    this.beta2 = checked.beta2;
    this.eps = checked.eps;
    this.weightDecay = checked.weightDecay;
    this.amsgrad = checked.amsgrad;
  }

  protected override checkedOptions(op: string, o: Record<string, unknown>, prefix: string) {
    return {
      beta1: checkNumber(op, `${prefix}beta1`, o.beta1, { lo: 0, hi: 1, hiOpen: true }),
      beta2: checkNumber(op, `${prefix}beta2`, o.beta2, { lo: 0, hi: 1, hiOpen: true }),
      eps: checkNumber(op, `${prefix}eps`, o.eps, { lo: 0, loOpen: true }),
      weightDecay: checkNumber(op, `${prefix}weightDecay`, o.weightDecay, { lo: 0 }),
      amsgrad: checkBoolean(op, `${prefix}amsgrad`, o.amsgrad),
    };
  }

  get type(): string {
    return 'Adam';
  }

  protected get slotNames() {
    return ['expAvg', 'expAvgSq', 'maxExpAvgSq'];
  }

  protected override get nonNegativeSlots() {
    return ['expAvgSq', 'maxExpAvgSq'];
  }

  protected get options() {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const m = this.slot(i, 'expAvg');
    const v = this.slot(i, 'expAvgSq');
    const vmax = this.amsgrad ? this.slot(i, 'maxExpAvgSq') : v;
    // the hyper-parameters are the saved options, plus the rate, the decay mode and the
    // parameter's own step: bias correction counts the updates this parameter received
    adamUpdate(p.value, g, m, v, vmax, { ...this.options, lr: this.lr, decoupled: this.decoupled, step: this.steps[i]! });
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay p ← p(1 − ηλ); PyTorch's
 * default weightDecay 0.01.
 *
 * @example
 * ```ts
 * const opt = new AdamW(model, { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Params, options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...checkOptions('AdamW', options, false) });
  }

  override get type(): string {
    return 'AdamW';
  }
}
