// Newton's method over all parameters flattened together: θ ← θ − lr·(H + damping·I)⁻¹∇θ, with
// the Hessian H from autograd's second derivatives; a Cholesky factorisation says whether
// H + damping·I is positive-definite (else the step would not descend), linalg.solve takes the step.
import { enableGrad, gradients, retainingGraphs, Variable, concat as vconcat } from '@gd/autograd';
import { cast, eye, LinalgError, linalg, scope, stack, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';
import { checkClosure, type LossClosure } from './closure.js';
import { FlatParams } from './flat.js';
import { checkNumber, checkOptions, Optimizer, type Params } from './optimizer.js';

/** Options of Newton. */
export interface NewtonOptions {
  /** Step size: 1 is the full Newton step. Default 1. */
  lr?: number;
  /** λ added to the Hessian's diagonal (Levenberg–Marquardt damping). Default 0. */
  damping?: number;
}

/**
 * Newton's method: each `step(closure)` evaluates the loss, its gradient ∇ and Hessian H over
 * all parameters flattened together, and moves θ ← θ − lr·(H + damping·I)⁻¹∇. On a quadratic
 * with positive-definite H one full step (lr = 1) lands on the minimum. H + damping·I must be
 * positive-definite, else the step is refused with an error naming `damping`. The closure
 * returns the loss (a Variable built from the parameters, its graph kept: it may call
 * `backward({ retainGraph: true })`, or no backward at all); the Hessian costs one backward pass
 * per parameter element, so Newton is for small problems.
 *
 * @example
 * ```ts
 * const x = variable(tensor([0, 0], { dtype: 'float64' }));
 * const opt = new Newton([x]);
 * opt.step(() => x.sub([1, 2]).square().sum()); // x is now [1, 2]
 * ```
 */
export class Newton extends Optimizer {
  /** step() takes a closure (minimize() passes one). */
  readonly takesClosure = true;
  /** λ added to the Hessian's diagonal. */
  readonly damping: number;
  private readonly flat: FlatParams;

  constructor(params: Params, options: NewtonOptions = {}) {
    super(params, checkOptions('Newton', options, false).lr ?? 1);
    this.damping = checkNumber('Newton', 'damping', options.damping ?? 0, { lo: 0 });
    this.flat = new FlatParams('Newton', this.params);
  }

  get type(): string {
    return 'Newton';
  }

  protected get slotNames(): readonly string[] {
    return [];
  }

  protected get options() {
    return { damping: this.damping };
  }

  protected update(): void {
    // step(closure) replaces the per-parameter update of the base class
  }

  /**
   * One Newton step. `closure` returns the loss as a scalar Variable with its graph; the result
   * is that loss (before the step).
   */
  override step(closure?: LossClosure): Variable | Tensor | number {
    const op = 'Newton.step';
    const fn = checkClosure(op, closure);
    checkNumber(op, 'lr', this.lr, { lo: 0 });
    // a closure that calls backward() (as for LBFGS) keeps the graph the Hessian is read from
    const loss = retainingGraphs(fn);
    if (!(loss instanceof Variable) || loss.size !== 1 || !loss.requiresGrad) {
      const got =
        loss instanceof Variable
          ? loss.size !== 1
            ? `a Variable of shape [${loss.shape.join(',')}]`
            : 'a Variable that does not depend on the parameters'
          : loss === null
            ? 'null'
            : typeof loss === 'object'
              ? `a ${loss.constructor.name} (no graph to differentiate)`
              : `a ${typeof loss}`;
      throw new ValueError(`${op}: the closure must return the loss as a scalar Variable built from the parameters, got ${got}`);
    }
    // the Hessian is differentiated through recorded gradients: grad mode on, even inside noGrad()
    enableGrad(() =>
      scope(() => {
        const n = this.flat.numel;
        // ∇ with its own graph, then H row by row: row i is ∇(∂L/∂θᵢ)
        const parts = gradients(loss, this.params, { createGraph: true, allowUnused: true });
        const grad = vconcat(
          parts.map((g, i) => (g ?? new Variable(zeros([this.params[i]!.size], this.flat.dtype), false)).reshape([this.params[i]!.size])),
        );
        const g = grad.value.dtype === this.flat.dtype ? grad.value : cast(grad.value, this.flat.dtype);
        const rows: Tensor[] = [];
        for (let i = 0; i < n; i++) {
          const unitData = new Float64Array(n);
          unitData[i] = 1;
          const seed = tensor(unitData, { dtype: grad.dtype === 'float64' ? 'float64' : 'float32' });
          const row = grad.requiresGrad
            ? gradients(grad, this.params, { gradOutputs: seed, retainGraph: true, allowUnused: true })
            : this.params.map(() => null);
          rows.push(this.flat.flatten(row.map((v) => v?.value ?? null)));
        }
        const hessian = stack(rows);
        const damped = this.damping === 0 ? hessian : hessian.add(eye(n, n, this.flat.dtype).mul(this.damping));
        // Cholesky succeeds exactly when H + λI is positive-definite: the test the step needs
        try {
          linalg.cholesky(damped);
        } catch (e) {
          if (!(e instanceof LinalgError)) throw e;
          const minor = /leading minor of order (\d+)/.exec(e.message)?.[1];
          throw new ValueError(
            `${op}: the Hessian plus damping·I (damping = ${this.damping}) is not positive-definite (its leading minor of order ${minor} is not), so the Newton step would not descend; increase damping`,
          );
        }
        this.flat.addScaled(-this.lr, linalg.solve(damped, g));
      }),
    );
    // a refused step is not counted
    this.stepCount++;
    return loss;
  }
}
