// L-BFGS as torch.optim.LBFGS computes it (itself after minFunc): the two-loop recursion over the
// last `historySize` curvature pairs, an optional strong-Wolfe line search, and PyTorch's
// stopping tests, step for step, so trajectories match PyTorch's to rounding.
import type { Variable } from '@gd/autograd';
import { axpyInPlace, copyInto, keep, ShapeError, scope, type Tensor, tensor, ValueError } from '@gd/tensor';
import { checkClosure, type LossClosure, lossValue } from './closure.js';
import { FlatParams } from './flat.js';
import { checkNumber, checkOptions, Optimizer, type OptimizerState, type Params } from './optimizer.js';

/** Options of LBFGS, as torch.optim.LBFGS's (camelCased). */
export interface LBFGSOptions {
  /** Step length (the line search's first trial step). Default 1. */
  lr?: number;
  /** Most iterations per step(). Default 20. */
  maxIter?: number;
  /** Most closure evaluations per step(). Default ⌊maxIter · 5/4⌋. */
  maxEval?: number;
  /** Stop when max |∇| ≤ toleranceGrad. Default 1e-7. */
  toleranceGrad?: number;
  /** Stop when a step, or the change of the loss, is below this. Default 1e-9. */
  toleranceChange?: number;
  /** Curvature pairs kept. Default 100. */
  historySize?: number;
  /** `'strongWolfe'` for a line search satisfying the strong Wolfe conditions; null (the default) for fixed steps of lr. */
  lineSearchFn?: null | 'strongWolfe';
}

/** The state L-BFGS carries from one step() to the next: torch.optim.LBFGS's, camelCased. */
export interface LBFGSState {
  /** The last search direction (flat over all parameters), or null before the first step. */
  d: Tensor | null;
  /** The last step length. */
  t: number;
  /** The kept gradient differences y = ∇ₖ₊₁ − ∇ₖ, oldest first. */
  oldDirs: Tensor[];
  /** The kept steps s = t·d, oldest first. */
  oldStps: Tensor[];
  /** 1 / (yᵀs) of each kept pair. */
  ro: number[];
  /** The scale yᵀs / yᵀy of the initial inverse-Hessian approximation. */
  hDiag: number;
  /** The flat gradient at the start of the last iteration. */
  prevFlatGrad: Tensor | null;
  /** The loss at the start of the last iteration. */
  prevLoss: number;
  /** Iterations over all steps. */
  nIter: number;
  /** Closure evaluations over all steps. */
  funcEvals: number;
}

// the strong-Wolfe line search's constants, as PyTorch calls it (its own tolerance, not the optimizer's)
const C1 = 1e-4;
const C2 = 0.9;
const LS_TOLERANCE_CHANGE = 1e-9;
const MAX_LS = 25;

/** xᵀy of two flat tensors. */
function dot(x: Tensor, y: Tensor): number {
  return scope(() => x.mul(y).sum().item());
}

/** max |x| of a flat tensor. */
function maxAbs(x: Tensor): number {
  return scope(() => x.abs().max().item());
}

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
 * `bounds` (by default the interval between the two points); their midpoint when the cubic has
 * no minimum (torch/optim/lbfgs.py's _cubic_interpolate).
 */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** The loss and flat gradient at step length t along the search direction. */
type Directional = (t: number) => [number, Tensor];

/**
 * A step length along d satisfying the strong Wolfe conditions, from f, g and gtd = gᵀd at
 * t = 0 and a first trial t: bracketing, then zoom by safeguarded cubic interpolation
 * (torch/optim/lbfgs.py's _strong_wolfe). Returns the loss, flat gradient and step length
 * found, and the evaluations used.
 */
function strongWolfe(
  evaluate: Directional,
  t: number,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: number,
): { f: number; g: Tensor; t: number; evals: number } {
  const dNorm = maxAbs(d);
  let [fNew, gNew] = evaluate(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: number[] = [];
  // bracket an interval containing a point satisfying the Wolfe conditions
  while (lsIter < MAX_LS) {
    if (fNew > f + C1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -C2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // extrapolate, between 1.01·t and 10·t
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    [fNew, gNew] = evaluate(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === MAX_LS) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }
  // zoom: shrink the bracket until a point satisfies the conditions
  let insufficientProgress = false;
  let [low, high] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < MAX_LS) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < LS_TOLERANCE_CHANGE) break;
    t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
    // a trial too close to an end of the bracket is moved a tenth of the bracket inside
    const bMax = Math.max(bracket[0]!, bracket[1]!);
    const bMin = Math.min(bracket[0]!, bracket[1]!);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufficientProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    [fNew, gNew] = evaluate(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f + C1 * t * gtd || fNew >= bracketF[low]!) {
      // Armijo fails, or no lower than the low end: the trial is the new high end
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = gNew;
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -C2 * gtd) done = true;
      else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        // the old high end becomes the low end
        bracket[high] = bracket[low]!;
        bracketF[high] = bracketF[low]!;
        bracketG[high] = bracketG[low]!;
        bracketGtd[high] = bracketGtd[low]!;
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = gNew;
      bracketGtd[low] = gtdNew;
    }
  }
  return { f: bracketF[low]!, g: bracketG[low]!, t: bracket[low]!, evals };
}

/**
 * L-BFGS, as `torch.optim.LBFGS`: a quasi-Newton method that approximates the inverse Hessian
 * from the last `historySize` steps and gradient changes, over all parameters flattened together.
 * `step(closure)` runs up to `maxIter` iterations, evaluating the closure — which zeroes the
 * gradients, computes the loss, calls `backward()` and returns the loss — as often as it needs,
 * and returns the closure's first result (the loss before the step). Every number follows
 * PyTorch's implementation, including its strong-Wolfe line search and stopping tests.
 *
 * @example
 * ```ts
 * const x = variable(tensor([-1.5, 2], { dtype: 'float64' }));
 * const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe' });
 * const closure = () => {
 *   opt.zeroGrad();
 *   const loss = x.sub([1, 2]).square().sum();
 *   loss.backward();
 *   return loss;
 * };
 * opt.step(closure); // x is now [1, 2]
 * ```
 */
export class LBFGS extends Optimizer {
  /** step() takes a closure (minimize() passes one). */
  readonly takesClosure = true;
  /** Most iterations per step(). */
  readonly maxIter: number;
  /** Most closure evaluations per step(). */
  readonly maxEval: number;
  /** First-order optimality tolerance on max |∇|. */
  readonly toleranceGrad: number;
  /** Tolerance on step and loss changes. */
  readonly toleranceChange: number;
  /** Curvature pairs kept. */
  readonly historySize: number;
  /** The line search, or null for fixed steps. */
  readonly lineSearchFn: null | 'strongWolfe';
  private readonly s: LBFGSState = LBFGS.freshState();
  private readonly flat: FlatParams;

  constructor(params: Params, options: LBFGSOptions = {}) {
    super(params, checkOptions('LBFGS', options, false).lr ?? 1);
    const positiveInt = (name: string, v: unknown) => {
      if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ValueError(`LBFGS: ${name} must be an integer ≥ 1, got ${String(v)}`);
      return v as number;
    };
    this.maxIter = positiveInt('maxIter', options.maxIter ?? 20);
    this.maxEval = positiveInt('maxEval', options.maxEval ?? Math.floor((this.maxIter * 5) / 4));
    this.toleranceGrad = checkNumber('LBFGS', 'toleranceGrad', options.toleranceGrad ?? 1e-7, { lo: 0 });
    this.toleranceChange = checkNumber('LBFGS', 'toleranceChange', options.toleranceChange ?? 1e-9, { lo: 0 });
    this.historySize = positiveInt('historySize', options.historySize ?? 100);
    const ls = options.lineSearchFn ?? null;
    if (ls !== null && ls !== 'strongWolfe')
      throw new ValueError(`LBFGS: lineSearchFn must be null or 'strongWolfe', got ${typeof ls === 'string' ? `'${ls}'` : String(ls)}`);
    this.lineSearchFn = ls;
    this.flat = new FlatParams('LBFGS', this.params);
  }

  private static freshState(): LBFGSState {
    return { d: null, t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: 0, nIter: 0, funcEvals: 0 };
  }

  get type(): string {
    return 'LBFGS';
  }

  protected get slotNames(): readonly string[] {
    return [];
  }

  protected get options() {
    return {
      maxIter: this.maxIter,
      maxEval: this.maxEval,
      toleranceGrad: this.toleranceGrad,
      toleranceChange: this.toleranceChange,
      historySize: this.historySize,
      strongWolfe: this.lineSearchFn === 'strongWolfe',
    };
  }

  protected update(): void {
    // step(closure) replaces the per-parameter update of the base class
  }

  /** The state carried between steps (read-only; torch.optim.LBFGS's `state`, camelCased). */
  get lbfgsState(): Readonly<LBFGSState> {
    return this.s;
  }

  /** The loss and flat gradient from one closure call; the closure's temporaries are freed. */
  private evaluate(closure: LossClosure): [number, Tensor] {
    return scope(() => {
      const loss = lossValue('LBFGS.step', closure());
      return [loss, this.flat.grad()] as [number, Tensor];
    });
  }

  /**
   * One optimisation step of up to `maxIter` iterations. `closure` zeroes the gradients,
   * computes the loss, calls backward() and returns the loss; the result is its first return
   * value, the loss before the step.
   */
  override step(closure?: LossClosure): Variable | Tensor | number {
    const op = 'LBFGS.step';
    const fn = checkClosure(op, closure);
    checkNumber(op, 'lr', this.lr, { lo: 0 });
    this.stepCount++;
    const s = this.s;
    const lr = this.lr;
    // the first evaluation's result is returned: it lives in the caller's scope
    const origLoss = fn();
    let loss = lossValue(op, origLoss);
    let currentEvals = 1;
    s.funcEvals++;
    scope(() => {
      let flatGrad = this.flat.grad();
      let optCond = maxAbs(flatGrad) <= this.toleranceGrad;
      if (optCond) return;
      let nIter = 0;
      while (nIter < this.maxIter) {
        nIter++;
        s.nIter++;
        // the descent direction: −∇ first, then the two-loop recursion over the kept pairs
        if (s.nIter === 1) {
          this.setDirection(flatGrad.neg());
          this.clearHistory();
          s.hDiag = 1;
        } else {
          const y = flatGrad.sub(s.prevFlatGrad!);
          const stp = s.d!.mul(s.t);
          const ys = dot(y, stp);
          if (ys > 1e-10) {
            if (s.oldDirs.length === this.historySize) {
              s.oldDirs.shift()!.dispose();
              s.oldStps.shift()!.dispose();
              s.ro.shift();
            }
            s.oldDirs.push(keep(y));
            s.oldStps.push(keep(stp));
            s.ro.push(1 / ys);
            s.hDiag = ys / dot(y, y);
          }
          const num = s.oldDirs.length;
          const al: number[] = new Array(num);
          const q = flatGrad.neg();
          for (let i = num - 1; i >= 0; i--) {
            al[i] = dot(s.oldStps[i]!, q) * s.ro[i]!;
            axpyInPlace(q, s.oldDirs[i]!, -al[i]!);
          }
          const r = q.mul(s.hDiag);
          for (let i = 0; i < num; i++) {
            const be = dot(s.oldDirs[i]!, r) * s.ro[i]!;
            axpyInPlace(r, s.oldStps[i]!, al[i]! - be);
          }
          this.setDirection(r);
        }
        const d = s.d!;
        if (s.prevFlatGrad === null) s.prevFlatGrad = keep(flatGrad.clone());
        else copyInto(s.prevFlatGrad, flatGrad);
        s.prevLoss = loss;
        // the step length: lr, and at the very first iteration no more than lr / ‖∇‖₁
        s.t = s.nIter === 1 ? Math.min(1, 1 / scope(() => flatGrad.abs().sum().item())) * lr : lr;
        const gtd = dot(flatGrad, d);
        // not a descent direction (to tolerance)
        if (gtd > -this.toleranceChange) break;
        let lsEvals = 0;
        if (this.lineSearchFn === 'strongWolfe') {
          const start = this.params.map((p) => p.value.clone());
          const directional: Directional = (t) => {
            this.flat.addScaled(t, d);
            const out = this.evaluate(fn);
            for (const [i, p] of this.params.entries()) copyInto(p.value, start[i]!);
            return out;
          };
          const found = strongWolfe(directional, s.t, d, loss, flatGrad, gtd);
          loss = found.f;
          flatGrad = found.g;
          s.t = found.t;
          lsEvals = found.evals;
          this.flat.addScaled(s.t, d);
          optCond = maxAbs(flatGrad) <= this.toleranceGrad;
        } else {
          this.flat.addScaled(s.t, d);
          // the last iteration does not evaluate again (PyTorch: of no use in a stochastic setting)
          if (nIter !== this.maxIter) {
            [loss, flatGrad] = this.evaluate(fn);
            optCond = maxAbs(flatGrad) <= this.toleranceGrad;
            lsEvals = 1;
          }
        }
        currentEvals += lsEvals;
        s.funcEvals += lsEvals;
        if (nIter === this.maxIter) break;
        if (currentEvals >= this.maxEval) break;
        if (optCond) break;
        // lack of progress: max |t·d| = |t|·max |d| (rounding is monotone)
        if (Math.abs(s.t) * maxAbs(d) <= this.toleranceChange) break;
        if (Math.abs(loss - s.prevLoss) < this.toleranceChange) break;
      }
    });
    return origLoss;
  }

  private setDirection(d: Tensor): void {
    if (this.s.d !== null && this.s.d !== d) this.s.d.dispose();
    this.s.d = keep(d);
  }

  private clearHistory(): void {
    for (const t of [...this.s.oldDirs, ...this.s.oldStps]) t.dispose();
    this.s.oldDirs = [];
    this.s.oldStps = [];
    this.s.ro = [];
  }

  /**
   * A JSON-serialisable copy of the state. As in PyTorch, L-BFGS's state is global and is
   * recorded under the first parameter: scalars as rank-0 entries, `ro` as a vector, the kept
   * pairs as `[k, numel]` matrices, `d` and `prevFlatGrad` as flat vectors.
   */
  override stateDict(): OptimizerState {
    const s = this.s;
    const entry = (shape: number[], data: number[]) => ({ shape, data });
    const flat = (t: Tensor | null) => (t === null ? [] : Array.from(t.data()));
    const rec: Record<string, { shape: number[]; data: number[] }> = {
      t: entry([], [s.t]),
      hDiag: entry([], [s.hDiag]),
      prevLoss: entry([], [s.prevLoss]),
      nIter: entry([], [s.nIter]),
      funcEvals: entry([], [s.funcEvals]),
      ro: entry([s.ro.length], [...s.ro]),
      oldDirs: entry([s.oldDirs.length, this.flat.numel], s.oldDirs.flatMap(flat)),
      oldStps: entry([s.oldStps.length, this.flat.numel], s.oldStps.flatMap(flat)),
    };
    if (s.d !== null) rec.d = entry([this.flat.numel], flat(s.d));
    if (s.prevFlatGrad !== null) rec.prevFlatGrad = entry([this.flat.numel], flat(s.prevFlatGrad));
    return {
      type: this.type,
      options: { lr: this.lr, ...this.options },
      step: this.stepCount,
      state: this.params.map((_, i) => (i === 0 ? rec : {})),
    };
  }

  /**
   * Restores a stateDict() of an LBFGS over parameters of the same total size. Everything is
   * checked first; on any error the optimizer is unchanged.
   */
  override loadStateDict(sd: OptimizerState): void {
    const op = 'LBFGS.loadStateDict';
    if (sd === null || typeof sd !== 'object') throw new ValueError(`${op}: expected a stateDict() object, got ${String(sd)}`);
    if (sd.type !== this.type) throw new ValueError(`${op}: state of a ${String(sd.type)} optimizer cannot load into ${this.type}`);
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length)
      throw new ValueError(
        `${op}: state must list ${this.params.length} parameters, got ${Array.isArray(sd.state) ? sd.state.length : 'none'}`,
      );
    if (!Number.isSafeInteger(sd.step) || sd.step < 0) throw new ValueError(`${op}: step must be an integer ≥ 0, got ${String(sd.step)}`);
    const lr = sd.options?.lr === undefined ? this.lr : checkNumber(op, 'options.lr', sd.options.lr, { lo: 0 });
    const rec = (sd.state[0] ?? {}) as Record<string, { shape?: unknown; data?: unknown } | undefined>;
    const known = ['t', 'hDiag', 'prevLoss', 'nIter', 'funcEvals', 'ro', 'oldDirs', 'oldStps', 'd', 'prevFlatGrad'];
    for (const name of Object.keys(rec))
      if (!known.includes(name)) throw new ValueError(`${op}: unknown state '${name}'; LBFGS keeps [${known.join(', ')}]`);
    const read = (name: string, shape: number[] | null): number[] => {
      const e = rec[name];
      if (e === undefined || e === null || typeof e !== 'object') throw new ValueError(`${op}: state '${name}' is missing`);
      const { shape: got, data } = e;
      if (shape !== null && (!Array.isArray(got) || got.length !== shape.length || got.some((v, k) => v !== shape[k])))
        throw new ShapeError(`${op}: state '${name}' has shape ${JSON.stringify(got)}; expected [${shape.join(',')}]`);
      const size = (shape ?? []).reduce((a, v) => a * v, 1);
      if (!Array.isArray(data) || data.length !== size || data.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
        throw new ValueError(`${op}: state '${name}' must hold ${size} finite numbers`);
      return data as number[];
    };
    const scalars = ['t', 'hDiag', 'prevLoss', 'nIter', 'funcEvals'].map((n) => read(n, [])[0]!);
    const roShape = rec.ro?.shape;
    const k = Array.isArray(roShape) && roShape.length === 1 && Number.isSafeInteger(roShape[0]) ? (roShape[0] as number) : -1;
    if (k < 0 || k > this.historySize) throw new ValueError(`${op}: state 'ro' must be a vector of at most ${this.historySize} entries`);
    const ro = read('ro', [k]);
    const dirs = read('oldDirs', [k, this.flat.numel]);
    const stps = read('oldStps', [k, this.flat.numel]);
    const d = rec.d === undefined ? null : read('d', [this.flat.numel]);
    const prev = rec.prevFlatGrad === undefined ? null : read('prevFlatGrad', [this.flat.numel]);
    // all checked: replace the state
    this.dispose();
    const make = (data: number[]) => keep(tensor(data, { dtype: this.flat.dtype }));
    const s = this.s;
    [s.t, s.hDiag, s.prevLoss, s.nIter, s.funcEvals] = scalars as [number, number, number, number, number];
    s.ro = [...ro];
    for (let i = 0; i < k; i++) {
      s.oldDirs.push(make(dirs.slice(i * this.flat.numel, (i + 1) * this.flat.numel)));
      s.oldStps.push(make(stps.slice(i * this.flat.numel, (i + 1) * this.flat.numel)));
    }
    s.d = d === null ? null : make(d);
    s.prevFlatGrad = prev === null ? null : make(prev);
    this.lr = lr;
    this.stepCount = sd.step;
  }

  /** Frees the state's tensors (the state starts afresh). */
  override dispose(): void {
    super.dispose();
    const s = this.s;
    this.clearHistory();
    s.d?.dispose();
    s.prevFlatGrad?.dispose();
    Object.assign(s, LBFGS.freshState());
  }
}
