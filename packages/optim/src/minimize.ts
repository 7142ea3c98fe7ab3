// The tutorial's gradient-descent loop (docs/tutorial.md §2.2): start somewhere, step θ ← θ − η∇θ, and
// stop on one of three convergence criteria — the loss changes less than a threshold, the
// gradient's norm falls below a threshold, or the iteration budget runs out.
import { Variable } from '@gd/autograd';
import { copyInto, fmtShape, keep, type Recording, record, scope, sumOfSquares, Tensor, ValueError } from '@gd/tensor';
import { type LossClosure, takesClosure } from './closure.js';
import type { Optimizer, Params } from './optimizer.js';
import { checkNumber, paramList } from './optimizer.js';
import type { Schedule } from './schedules.js';
import { SGD } from './sgd.js';

/** Why minimize() stopped. */
export type StopReason = 'loss-tolerance' | 'grad-tolerance' | 'max-iterations' | 'epochs' | 'diverged' | 'stopped';

/** What onStep() sees after every step. */
export interface StepInfo {
  /** 1-based step number. */
  iteration: number;
  /** 0-based epoch (minibatch mode; 0 in full-batch mode). */
  epoch: number;
  /** The objective before this step's update. */
  loss: number;
  /** ‖∇θ‖₂ before this step's update. */
  gradNorm: number;
  /** The learning rate used. */
  lr: number;
}

/** Options of minimize(). */
export interface MinimizeOptions<B = unknown> {
  /**
   * The optimizer; default plain gradient descent θ ← θ − η∇θ with η = lr. One whose step() takes
   * a closure (LBFGS, Newton) is handed one that evaluates the objective on the step's batch,
   * calls backward() keeping the graph, and returns the loss; its first call returns the loss
   * minimize() has just computed, so no evaluation is repeated.
   */
  optimizer?: Optimizer;
  /** η for the default optimizer. Default 0.01. */
  lr?: number;
  /** Stop when |loss_t − loss_{t−1}| < lossTolerance (per epoch's mean loss in minibatch mode). */
  lossTolerance?: number;
  /** Stop when ‖∇θ‖₂ < gradTolerance (per epoch's mean in minibatch mode). */
  gradTolerance?: number;
  /** Stop after this many steps. Default 1000 in full-batch mode, unlimited with data. */
  maxIterations?: number;
  /** Called after every step; returning false stops with reason 'stopped'. */
  onStep?: (s: StepInfo) => boolean | undefined;
  /** Called after every epoch (minibatch mode) with the epoch's mean loss. */
  onEpoch?: (e: { epoch: number; loss: number; iterations: number }) => boolean | undefined;
  /** Aborting it stops with reason 'stopped'. */
  signal?: AbortSignal;
  /** A learning-rate schedule, applied before every step (step number from 0). */
  schedule?: Schedule;
  /** Minibatch mode: the batches (e.g. batches(…)); the objective receives each one. */
  data?: Iterable<B> & {
    /** The batches of epoch e, when the source reshuffles per epoch (as batches() does). */
    epoch?: (e: number) => Iterable<B>;
  };
  /** Epochs over `data`. Default 1. */
  epochs?: number;
  /** Record the history (loss, gradNorm per step). Default true. */
  history?: boolean;
  /**
   * Record the first step's objective and backward pass with record() and replay them on every
   * later step: the same kernels on the same memory, so the same numbers bit for bit, without the
   * JavaScript that builds the graph each step (several times faster for small problems). The
   * objective must do the same work every step — the same ops on the same tensors, reading no
   * tensor values (see record()). With `data`, each batch must be a tensor or arrays/records of
   * tensors (as batches() yields): the objective is recorded on copies of the first batch, and
   * every later batch of the same shapes is copied into them and replayed; a batch of other
   * shapes (the last, smaller one) runs eagerly. The optimizer's update runs eagerly every step.
   * Default false.
   */
  replay?: boolean;
}

/** What minimize() returns. */
export interface MinimizeResult {
  reason: StopReason;
  /** Steps taken. */
  iterations: number;
  /** The last finite loss. */
  loss: number;
  /** ‖∇θ‖₂ at the last step. */
  gradNorm: number;
  /** Epochs completed (minibatch mode). */
  epochs: number;
  /** One entry per step. */
  history: Array<{ iteration: number; loss: number; gradNorm: number; lr: number }>;
}

/**
 * Minimises a scalar objective over parameters by gradient descent, stopping on the first
 * criterion met. Every step runs in a scope, so memory in use stays flat; a NaN/Inf loss or
 * gradient stops with 'diverged' and puts the parameters back to their last finite values.
 *
 * @example
 * ```ts
 * const a = variable([0]), b = variable([0]);
 * const r = minimize(() => mse(a.mul(x).add(b), y), [a, b], { lr: 0.05, gradTolerance: 1e-4 });
 * r.reason; // 'grad-tolerance'
 * ```
 */
export function minimize<B = unknown>(objective: (batch: B) => Variable, params: Params, options: MinimizeOptions<B> = {}): MinimizeResult {
  if (typeof objective !== 'function')
    throw new ValueError(`minimize: objective must be a function returning a Variable, got ${typeof objective}`);
  if (options === null || typeof options !== 'object') throw new ValueError(`minimize: options must be an object, got ${String(options)}`);
  const list = paramList(params);
  if (list.length === 0) throw new ValueError('minimize: no parameters to optimise');
  const maxIterations = options.maxIterations ?? (options.data ? Number.POSITIVE_INFINITY : 1000);
  if (maxIterations !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxIterations) || maxIterations < 0))
    throw new ValueError(`minimize: maxIterations must be an integer ≥ 0 (or Infinity), got ${maxIterations}`);
  const epochs = options.epochs ?? 1;
  if (!Number.isSafeInteger(epochs) || epochs < 0) throw new ValueError(`minimize: epochs must be an integer ≥ 0, got ${epochs}`);
  for (const k of ['lossTolerance', 'gradTolerance'] as const)
    if (options[k] !== undefined) checkNumber('minimize', k, options[k], { lo: 0 });
  for (const k of ['schedule', 'onStep', 'onEpoch'] as const)
    if (options[k] !== undefined && typeof options[k] !== 'function')
      throw new ValueError(`minimize: ${k} must be a function, got ${typeof options[k]}`);
  if (options.signal !== undefined && (options.signal === null || typeof options.signal.aborted !== 'boolean'))
    throw new ValueError(`minimize: signal must be an AbortSignal, got ${String(options.signal)}`);
  if (options.data !== undefined && (options.data === null || typeof (options.data as Iterable<B>)[Symbol.iterator] !== 'function'))
    throw new ValueError(`minimize: data must be an iterable of batches, got ${String(options.data)}`);
  if (options.replay !== undefined && typeof options.replay !== 'boolean')
    throw new ValueError(`minimize: replay must be true or false, got ${String(options.replay)}`);
  const given = options.optimizer as unknown;
  if (given !== undefined) {
    const o = given as Partial<Optimizer>;
    if (given === null || typeof given !== 'object' || typeof o.step !== 'function' || typeof o.zeroGrad !== 'function')
      throw new ValueError(
        `minimize: optimizer must be an optimizer (new SGD(params), new Adam(params), new LBFGS(params), …), got ${typeof given === 'string' ? `'${given}'` : given === null ? 'null' : typeof given}`,
      );
    // an optimizer over other parameters would never update these (nor zero their gradients)
    if (Array.isArray(o.params)) {
      const held = new Set(o.params);
      const missing = list.findIndex((p) => !held.has(p));
      if (missing >= 0)
        throw new ValueError(
          `minimize: the optimizer does not hold parameter ${missing} of the ones given to minimize; build it over the same parameters`,
        );
    }
  }
  const opt = options.optimizer ?? new SGD(list, { lr: options.lr ?? 0.01 });
  const keepHistory = options.history ?? true;
  const history: MinimizeResult['history'] = [];
  // the last parameter values whose loss and gradient were finite
  const backup = list.map((p) => keep(p.value.clone()));
  let iterations = 0;
  let lastLoss = Number.NaN;
  let lastNorm = Number.NaN;
  let previousLoss = Number.NaN;
  let reason: StopReason | undefined;

  const restore = () => {
    for (const [i, p] of list.entries()) copyInto(p.value, backup[i]!);
  };

  /** One step on one batch; returns a stop reason or undefined. */
  const step = (batch: B, epoch: number): StopReason | undefined => {
    if (options.signal?.aborted) return 'stopped';
    if (options.schedule)
      opt.lr = checkNumber('minimize', `the rate the schedule returned for step ${iterations}`, options.schedule(iterations), { lo: 0 });
    opt.zeroGrad();
    if (options.replay && (options.data === undefined || sameShapes(batch))) {
      const value = replayedStep();
      if (!Number.isFinite(value)) {
        // as in the eager step, whose backward never ran: no gradient is left behind
        for (const p of list) p.zeroGrad();
        return 'diverged';
      }
      return afterBackward(value, epoch, recorded!.result, () => {
        recorded!.replay();
        return recorded!.result;
      });
    }
    const loss = checkedLoss(objective(batch));
    const value = loss.item();
    if (!Number.isFinite(value)) return 'diverged';
    // a closure optimizer gets the loss with its graph (Newton differentiates it again)
    const closureStep = takesClosure(opt);
    loss.backward(undefined, { retainGraph: closureStep });
    return afterBackward(value, epoch, loss, () => {
      const again = checkedLoss(objective(batch));
      again.backward(undefined, { retainGraph: true });
      return again;
    });
  };

  // replay mode: the objective and its backward pass, recorded once; every replay hands the
  // parameters the gradients it wrote again (autograd's backward asks record() to), so the
  // zeroGrad() of each step may drop them
  let recorded: Recording<Tensor> | undefined;
  // with data: the tensors the recording reads (copies of the first batch's), the batch built of
  // them, its shapes, and the tensors of the batch at hand
  let inputs: Tensor[] = [];
  let fixedBatch: B | undefined;
  let signature = '';
  let found: Tensor[] = [];
  /** Whether the batch at hand can be replayed: the first batch, or one with the first batch's shapes. */
  const sameShapes = (batch: B): boolean => {
    found = [];
    const s = tensorsOf(batch, found);
    if (!recorded) {
      signature = s;
      inputs = found.map((t) => keep(t.clone()));
      fixedBatch = withTensors(batch, inputs, { next: 0 }) as B;
      return true;
    }
    return s === signature;
  };
  const replayedStep = (): number => {
    if (recorded) {
      for (let i = 0; i < inputs.length; i++) copyInto(inputs[i]!, found[i]!);
      recorded.replay();
      return recorded.result.item();
    }
    const first = record(() => {
      const loss = checkedLoss(objective(fixedBatch as B));
      loss.backward();
      return keep(loss.value);
    });
    recorded = first;
    return first.result.item();
  };

  /**
   * The rest of a step once the gradients are in: norm, backup, history, the update, the stop
   * tests. For a closure optimizer, `loss` is the step's loss and `evaluate` computes the
   * objective and its gradients again.
   */
  const afterBackward = (
    value: number,
    epoch: number,
    loss: Variable | Tensor,
    evaluate: () => Variable | Tensor,
  ): StopReason | undefined => {
    // gradNorm(list) without re-checking the list every step (paramList checked it above)
    let squares = 0;
    for (const p of list) if (p.grad) squares += sumOfSquares(p.grad);
    const norm = Math.sqrt(squares);
    if (!Number.isFinite(norm)) return 'diverged';
    for (let i = 0; i < list.length; i++) copyInto(backup[i]!, list[i]!.value);
    iterations++;
    lastLoss = value;
    lastNorm = norm;
    if (keepHistory) history.push({ iteration: iterations, loss: value, gradNorm: norm, lr: opt.lr });
    if (!options.data && options.gradTolerance !== undefined && norm < options.gradTolerance) return 'grad-tolerance';
    if (takesClosure(opt)) {
      // the closure's first call is the evaluation just made; later calls evaluate again
      let first = true;
      const closure: LossClosure = () => {
        if (first) {
          first = false;
          return loss;
        }
        opt.zeroGrad();
        return evaluate();
      };
      opt.step(closure);
    } else opt.step();
    if (options.onStep?.({ iteration: iterations, epoch, loss: value, gradNorm: norm, lr: opt.lr }) === false) return 'stopped';
    if (!options.data && options.lossTolerance !== undefined && Math.abs(value - previousLoss) < options.lossTolerance)
      return 'loss-tolerance';
    previousLoss = value;
    if (iterations >= maxIterations) return 'max-iterations';
    return undefined;
  };

  const checkedLoss = (loss: unknown): Variable => {
    if (!(loss instanceof Variable)) {
      const got =
        loss instanceof Tensor ? 'a Tensor (build it from Variables so it has a gradient)' : loss === null ? 'null' : `a ${typeof loss}`;
      throw new ValueError(`minimize: the objective must return a scalar Variable, got ${got}`);
    }
    if (loss.size !== 1) throw new ValueError(`minimize: the objective must return a scalar Variable, got shape ${fmtShape(loss.shape)}`);
    return loss;
  };

  let epochsDone = 0;
  try {
    if (!options.data) {
      if (maxIterations === 0) reason = 'max-iterations';
      while (!reason) reason = scope(() => step(undefined as B, 0));
    } else {
      let previousEpochLoss = Number.NaN;
      for (let e = 0; e < epochs && !reason; e++) {
        const source = options.data.epoch ? options.data.epoch(e) : options.data;
        const it = source[Symbol.iterator]();
        let sum = 0;
        let normSum = 0;
        let count = 0;
        while (!reason) {
          const r = scope((): StopReason | 'end' | undefined => {
            const next = it.next();
            if (next.done) return 'end';
            const s = step(next.value, e);
            return s;
          });
          if (r === 'end') break;
          reason = r;
          if (!reason || reason === 'max-iterations' || reason === 'stopped') {
            sum += lastLoss;
            normSum += lastNorm;
            count++;
          }
        }
        if (reason) break;
        epochsDone++;
        const mean = sum / Math.max(1, count);
        if (options.onEpoch?.({ epoch: e, loss: mean, iterations }) === false) reason = 'stopped';
        else if (options.gradTolerance !== undefined && normSum / Math.max(1, count) < options.gradTolerance) reason = 'grad-tolerance';
        else if (options.lossTolerance !== undefined && Math.abs(mean - previousEpochLoss) < options.lossTolerance)
          reason = 'loss-tolerance';
        previousEpochLoss = mean;
      }
      reason ??= 'epochs';
    }
    if (reason === 'diverged') restore();
  } finally {
    for (const b of backup) b.dispose();
    if (recorded) {
      recorded.result.dispose();
      recorded.dispose();
    }
    for (const t of inputs) t.dispose();
    if (!options.optimizer) opt.dispose();
  }
  return { reason, iterations, loss: lastLoss, gradNorm: lastNorm, epochs: epochsDone, history };
}

/**
 * The tensors of a batch, in order, appended to `out` (a tensor, or arrays and plain records of
 * them, nested); returns the batch's signature (structure, dtypes and shapes). A ValueError for
 * anything else: a replayed step can only be fed new tensor values.
 */
function tensorsOf(batch: unknown, out: Tensor[]): string {
  if (batch instanceof Tensor) {
    out.push(batch);
    return `${batch.dtype}${fmtShape(batch.shape)}`;
  }
  if (Array.isArray(batch)) {
    let s = '[';
    for (const b of batch) s += `${tensorsOf(b, out)},`;
    return `${s}]`;
  }
  if (batch !== null && typeof batch === 'object' && Object.getPrototypeOf(batch) === Object.prototype) {
    let s = '{';
    for (const [k, v] of Object.entries(batch)) s += `${JSON.stringify(k)}:${tensorsOf(v, out)},`;
    return `${s}}`;
  }
  const got =
    batch === null ? 'null' : batch instanceof Variable ? 'a Variable' : typeof batch === 'object' ? 'an object' : `a ${typeof batch}`;
  throw new ValueError(
    `minimize: replay with data needs batches of tensors (a Tensor, or arrays and records of them, as batches() yields), got ${got} in a batch`,
  );
}

/** The batch with its tensors replaced, in order, by `tensors` (its structure as tensorsOf walks it). */
function withTensors(batch: unknown, tensors: Tensor[], at: { next: number }): unknown {
  if (batch instanceof Tensor) return tensors[at.next++];
  if (Array.isArray(batch)) return batch.map((b) => withTensors(b, tensors, at));
  return Object.fromEntries(Object.entries(batch as Record<string, unknown>).map(([k, v]) => [k, withTensors(v, tensors, at)]));
}
