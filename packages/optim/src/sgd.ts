import type { Variable } from '@gd/autograd';
import { axpyInPlace, sgdUpdate, type Tensor, ValueError } from '@gd/tensor';
import { checkBoolean, checkNumber, checkOptions, Optimizer, type Params } from './optimizer.js';

/** Options of SGD, as PyTorch's. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (docs/tutorial.md §2.2 and §2.4): θ ← θ − η∇θ, with optional momentum
 * (heavy ball or Nesterov), dampening and weight decay — PyTorch's update rule.
 *
 * @example
 * ```ts
 * const opt = new SGD(model, { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Params, options: SGDOptions) {
    super(params, checkOptions('SGD', options, true).lr);
    this.momentum = checkNumber('SGD', 'momentum', options.momentum ?? 0, { lo: 0 });
    this.dampening = checkNumber('SGD', 'dampening', options.dampening ?? 0, { lo: 0, hi: 1 });
    this.weightDecay = checkNumber('SGD', 'weightDecay', options.weightDecay ?? 0, { lo: 0 });
    this.nesterov = checkBoolean('SGD', 'nesterov', options.nesterov ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError(
        `SGD: Nesterov momentum requires momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
  }

  get type(): string {
    return 'SGD';
  }

  protected get slotNames() {
    return ['momentumBuffer'];
  }

  protected get options() {
    return { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected update(i: number, p: Variable, g: Tensor): void {
    if (this.momentum === 0 && this.weightDecay === 0) {
      axpyInPlace(p.value, g, -this.lr);
      return;
    }
    const first = !this.state[i]!.has('momentumBuffer');
    const buf = this.slot(i, 'momentumBuffer');
    sgdUpdate(p.value, g, buf, { ...this.options, lr: this.lr, first });
  }
}
