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
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = options;
    const checked = this.checkedOptions('SGD', { momentum, dampening, weightDecay, nesterov }, '');
    this.momentum = checked.momentum;
    this.dampening = checked.dampening;
    this.weightDecay = checked.weightDecay;
    this.nesterov = checked.nesterov;
  }

  protected override checkedOptions(op: string, o: Record<string, unknown>, prefix: string) {
    const checked = {
      momentum: checkNumber(op, `${prefix}momentum`, o.momentum, { lo: 0 }),
      dampening: checkNumber(op, `${prefix}dampening`, o.dampening, { lo: 0, hi: 1 }),
      weightDecay: checkNumber(op, `${prefix}weightDecay`, o.weightDecay, { lo: 0 }),
      nesterov: checkBoolean(op, `${prefix}nesterov`, o.nesterov),
    };
    if (checked.nesterov && (checked.momentum <= 0 || checked.dampening !== 0)) {
      throw new ValueError(
        `${op}: Nesterov momentum requires momentum > 0 and dampening 0, got momentum ${checked.momentum}, dampening ${checked.dampening}`,
      );
    }
    return checked;
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
