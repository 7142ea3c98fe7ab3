import type { Variable } from '@gd/autograd';
import { adamUpdate, type Tensor, ValueError } from '@gd/tensor';
import { Optimizer, type Params } from './optimizer.js';

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
 * gradient, as in PyTorch's Adam.
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
    super(params, options.lr ?? 1e-3);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.amsgrad = options.amsgrad ?? false;
    for (const b of [this.beta1, this.beta2])
      if (!(b >= 0 && b < 1)) throw new ValueError(`${this.type}: betas must be in [0, 1), got ${b}`);
    if (!(this.eps >= 0)) throw new ValueError(`${this.type}: eps must be ≥ 0`);
  }

  get type(): string {
    return 'Adam';
  }

  protected get options() {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    const m = this.slot(i, 'expAvg');
    const v = this.slot(i, 'expAvgSq');
    const vmax = this.amsgrad ? this.slot(i, 'maxExpAvgSq') : v;
    adamUpdate(p.value, g, m, v, vmax, {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      amsgrad: this.amsgrad,
      step: this.stepCount,
    });
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
    super(params, { weightDecay: 0.01, ...options });
  }

  override get type(): string {
    return 'AdamW';
  }
}
