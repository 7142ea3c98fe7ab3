// The optimizer contract users know from PyTorch: step(), zeroGrad(), stateDict(), loadStateDict().
import { replacedBecause, Variable } from '@gd/autograd';
import { DisposedError, keep, ShapeError, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';

/** Anything holding parameters: a list of Variables, or a module with parameters(). */
export type Params =
  | readonly Variable[]
  | {
      /** The parameters to optimise. */
      parameters(): Variable[];
    };

/** How a parameter is named in an error: its name if it has one, else its position. */
function label(p: Variable, i: number): string {
  return p.name === undefined ? `parameter ${i}` : `parameter ${i} ('${p.name}')`;
}

/** A disposed parameter: what replaced it, if a module's to() did, and what to do. */
function disposedMessage(op: string, p: Variable, i: number): string {
  const why = replacedBecause(p);
  if (why === undefined) return `${op}: ${label(p, i)} was disposed`;
  return `${op}: ${label(p, i)} is no longer the model's: ${why}; build the optimizer after to() (or from model.parameters() again)`;
}

/**
 * Resolves a Params to its Variables, checking each is a live float32 or float64 Variable listed
 * once: a parameter listed twice would be updated twice per step (PyTorch refuses it too).
 *
 * @example
 * ```ts
 * paramList(model).length; // the number of parameters
 * ```
 */
export function paramList(params: Params): Variable[] {
  let list: unknown;
  if (Array.isArray(params)) list = [...params];
  else if (params !== null && typeof params === 'object' && typeof (params as { parameters?: unknown }).parameters === 'function')
    list = (params as { parameters(): Variable[] }).parameters();
  if (!Array.isArray(list)) throw new ValueError(`optimizer: params must be an array of Variables or a module, got ${String(params)}`);
  const seen = new Map<Variable, number>();
  list.forEach((p: unknown, i) => {
    if (!(p instanceof Variable))
      throw new ValueError(
        `optimizer: parameter ${i} is not a Variable (got ${p === null ? 'null' : typeof p === 'object' ? p.constructor.name : typeof p})`,
      );
    if (p.value.isDisposed) throw new DisposedError(disposedMessage('optimizer', p, i));
    if (p.value.dtype !== 'float32' && p.value.dtype !== 'float64') {
      throw new ValueError(`optimizer: ${label(p, i)} is ${p.value.dtype}; parameters must be float32 or float64`);
    }
    const first = seen.get(p);
    if (first !== undefined) throw new ValueError(`optimizer: ${label(p, i)} is listed twice (also at ${first}); list each parameter once`);
    seen.set(p, i);
  });
  return list as Variable[];
}

/** A short rendering of a value for an error message. */
function brief(v: unknown): string {
  const text = Array.isArray(v) ? JSON.stringify(v) : String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Bounds of a numeric option: `lo`/`hi` included unless `loOpen`/`hiOpen`. */
interface Range {
  lo?: number;
  hi?: number;
  loOpen?: boolean;
  hiOpen?: boolean;
}

/**
 * Checks that option `name` of `op` is a finite number in range, or throws a ValueError naming
 * both and the value given.
 */
export function checkNumber(op: string, name: string, v: unknown, range: Range = {}): number {
  const { lo = Number.NEGATIVE_INFINITY, hi = Number.POSITIVE_INFINITY, loOpen = false, hiOpen = false } = range;
  const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    const want = `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`.replace('-Infinity', '−∞').replace('Infinity', '∞');
    const got = typeof v === 'string' ? `'${v}'` : String(v);
    throw new ValueError(`${op}: ${name} must be a finite number in ${want}, got ${got}`);
  }
  return v as number;
}

/** Checks that option `name` of `op` is a boolean. */
export function checkBoolean(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${op}: ${name} must be true or false, got ${String(v)}`);
  return v;
}

/** Checks an options argument is an object (or absent, when `required` is false). */
export function checkOptions<O>(op: string, options: O | undefined, required: boolean): O {
  if (options === undefined && !required) return {} as O;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ValueError(`${op}: options must be an object${required ? ' with lr' : ''}, got ${String(options)}`);
  return options;
}

/**
 * A serialisable snapshot of an optimizer: its hyper-parameters (PyTorch's param_groups), step
 * counts and state tensors.
 */
export interface OptimizerState {
  type: string;
  /** lr and the other hyper-parameters; loadStateDict() restores them. */
  options: Record<string, number | boolean>;
  /** step() calls. */
  step: number;
  /**
   * Each parameter's own step count (PyTorch's `state[p]['step']`): the updates it received, which
   * Adam's bias correction and Adagrad's rate decay count. Optional when loading: a state saved
   * without it gives every parameter that has state the count `step`.
   */
  steps?: number[];
  /** One record per parameter, in order: state name → { shape, data }. */
  state: Array<Record<string, { shape: number[]; data: number[] }>>;
}

/**
 * Base of every optimizer: holds the parameters, their per-parameter state tensors (kept
 * outside any scope, freed by dispose()), and the step count.
 */
export abstract class Optimizer {
  /** The parameters updated by step(). */
  readonly params: Variable[];
  /** Learning rate; schedules change it between steps. */
  lr: number;
  /** step() calls. */
  stepCount = 0;
  /**
   * Each parameter's own step count: the updates it received. A parameter without a gradient is
   * skipped by step() and its count stays, as PyTorch keeps `state[p]['step']` per parameter.
   */
  protected readonly steps: number[];
  protected readonly state: Array<Map<string, Tensor>>;

  constructor(params: Params, lr: number) {
    checkNumber(new.target.name, 'lr', lr, { lo: 0 });
    this.params = paramList(params);
    this.lr = lr;
    this.state = this.params.map(() => new Map());
    this.steps = this.params.map(() => 0);
  }

  /** The optimizer's name in stateDict(). */
  abstract get type(): string;
  /** The names of the per-parameter state tensors this optimizer may keep. */
  protected abstract get slotNames(): readonly string[];
  /** Hyper-parameters other than lr, as saved in stateDict(); each is the field of that name. */
  protected abstract get options(): Record<string, number | boolean>;
  /**
   * Checks a full set of hyper-parameters other than lr (the names of `options`) as the
   * constructor does, naming each `prefix + name` in an error, and returns them. The built-in
   * optimizers check ranges; this default (for an optimizer of one's own) checks that each is a
   * finite number or a boolean, as the current value is.
   */
  protected checkedOptions(op: string, o: Record<string, unknown>, prefix: string): Record<string, number | boolean> {
    const out: Record<string, number | boolean> = {};
    for (const [k, now] of Object.entries(this.options))
      out[k] = typeof now === 'boolean' ? checkBoolean(op, prefix + k, o[k]) : checkNumber(op, prefix + k, o[k]);
    return out;
  }
  /**
   * Checks how the loaded slots of parameter i agree with each other (each is already checked
   * alone), throwing a ValueError naming `op`; the default checks nothing.
   */
  protected checkSlots(_op: string, _i: number, _slots: Record<string, number[]>): void {}

  /** State slots that hold sums or averages of squares, so are never negative. */
  protected get nonNegativeSlots(): readonly string[] {
    return [];
  }
  /** Updates parameter i from its gradient (called by step() for parameters with a gradient). */
  protected abstract update(i: number, p: Variable, g: Tensor): void;

  /** A state tensor of parameter i, created as zeros of the parameter's shape on first use. */
  protected slot(i: number, name: string): Tensor {
    let t = this.state[i]!.get(name);
    if (!t) {
      // state takes the parameter's dtype (float64 parameters keep float64 moments)
      const p = this.params[i]!;
      t = keep(zeros(p.shape as number[], p.value.dtype));
      this.state[i]!.set(name, t);
    }
    return t;
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    // lr is a public field (schedules set it): check it before it reaches a kernel
    checkNumber(`${this.type}.step`, 'lr', this.lr, { lo: 0 });
    this.params.forEach((p, i) => {
      if (p.value.isDisposed) throw new DisposedError(disposedMessage(`${this.type}.step`, p, i));
    });
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      this.steps[i]!++;
      this.update(i, p, p.grad);
    });
  }

  /** A JSON-serialisable copy of the optimizer's state. */
  stateDict(): OptimizerState {
    return {
      type: this.type,
      options: { lr: this.lr, ...this.options },
      step: this.stepCount,
      steps: [...this.steps],
      state: this.state.map((m) => Object.fromEntries([...m].map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.data()) }]))),
    };
  }

  /**
   * Restores a stateDict() of the same optimizer type over parameters of the same shapes: the
   * state tensors, the step counts and the saved hyper-parameters (lr, betas, weightDecay, …, as
   * PyTorch restores its param_groups). The whole state is checked first (types, names, shapes,
   * numbers finite in the parameter's dtype, squares never negative, each option as the
   * constructor checks it); on any error the optimizer is unchanged and nothing is allocated.
   */
  loadStateDict(sd: OptimizerState): void {
    const op = `${this.type}.loadStateDict`;
    if (sd === null || typeof sd !== 'object') throw new ValueError(`${op}: expected a stateDict() object, got ${String(sd)}`);
    if (sd.type !== this.type) throw new ValueError(`${op}: state of a ${String(sd.type)} optimizer cannot load into ${this.type}`);
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) {
      const n = Array.isArray(sd.state) ? `${sd.state.length} parameters` : `no state array`;
      throw new ValueError(`${op}: state has ${n}; this optimizer has ${this.params.length} parameters`);
    }
    if (sd.options === null || typeof sd.options !== 'object')
      throw new ValueError(`${op}: options must be an object, got ${String(sd.options)}`);
    const lr = sd.options.lr === undefined ? this.lr : checkNumber(op, 'options.lr', sd.options.lr, { lo: 0 });
    const current = this.options;
    for (const k of Object.keys(sd.options)) {
      if (k !== 'lr' && !Object.hasOwn(current, k))
        throw new ValueError(`${op}: unknown option '${k}'; ${this.type} has [lr, ${Object.keys(current).join(', ')}]`);
    }
    const options = this.checkedOptions(op, { ...current, ...sd.options }, 'options.');
    if (!Number.isSafeInteger(sd.step) || sd.step < 0) throw new ValueError(`${op}: step must be an integer ≥ 0, got ${String(sd.step)}`);
    if (sd.steps !== undefined) {
      if (!Array.isArray(sd.steps) || sd.steps.length !== this.params.length)
        throw new ValueError(`${op}: steps must be an array of ${this.params.length} counts, one per parameter, got ${brief(sd.steps)}`);
      const bad = sd.steps.findIndex((n) => !Number.isSafeInteger(n) || n < 0 || n > sd.step);
      if (bad >= 0) throw new ValueError(`${op}: steps[${bad}] must be an integer in [0, step = ${sd.step}], got ${String(sd.steps[bad])}`);
    }
    const slots = new Set(this.slotNames);
    const nonNegative = new Set(this.nonNegativeSlots);
    const checked = sd.state.map((rec: unknown, i) => {
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
        throw new ValueError(`${op}: state of parameter ${i} must be an object, got ${Array.isArray(rec) ? 'an array' : String(rec)}`);
      return Object.entries(rec).map(([name, slot]: [string, unknown]) => {
        const where = `state '${name}' of parameter ${i}`;
        if (!slots.has(name)) throw new ValueError(`${op}: unknown ${where}; ${this.type} keeps [${[...slots].join(', ')}]`);
        if (slot === null || typeof slot !== 'object') throw new ValueError(`${op}: ${where} must be { shape, data }, got ${String(slot)}`);
        const { shape, data } = slot as { shape?: unknown; data?: unknown };
        const want = this.params[i]!.shape;
        if (!Array.isArray(shape) || shape.length !== want.length || shape.some((d, k) => d !== want[k])) {
          throw new ShapeError(`${op}: ${where} has shape ${JSON.stringify(shape) ?? 'undefined'}; the parameter has [${want.join(',')}]`);
        }
        const size = want.reduce((a, d) => a * d, 1);
        if (!Array.isArray(data) || data.length !== size)
          throw new ValueError(`${op}: ${where} must hold ${size} numbers, got ${Array.isArray(data) ? data.length : typeof data}`);
        // finite in the parameter's dtype: 1e39 is finite in float64 and Infinity in float32
        const f32 = this.params[i]!.value.dtype === 'float32';
        const bad = data.findIndex((x) => typeof x !== 'number' || !Number.isFinite(f32 ? Math.fround(x) : x));
        if (bad >= 0)
          throw new ValueError(
            `${op}: ${where} holds ${String(data[bad])} at ${bad}; expected finite ${f32 ? 'float32' : 'float64'} numbers`,
          );
        if (nonNegative.has(name)) {
          const negative = (data as number[]).findIndex((x) => x < 0);
          if (negative >= 0)
            throw new ValueError(`${op}: ${where} holds ${data[negative]} at ${negative}; it is a sum of squares, never negative`);
        }
        return [name, data as number[], [...want]] as const;
      });
    });
    checked.forEach((entries, i) => {
      this.checkSlots(op, i, Object.fromEntries(entries.map(([name, data]) => [name, data])));
    });
    this.dispose();
    checked.forEach((entries, i) => {
      const dtype = this.params[i]!.value.dtype;
      for (const [name, data, shape] of entries) this.state[i]!.set(name, keep(tensor(data, { shape, dtype })));
    });
    this.lr = lr;
    Object.assign(this, options);
    this.stepCount = sd.step;
    checked.forEach((entries, i) => {
      this.steps[i] = sd.steps?.[i] ?? (entries.length > 0 ? sd.step : 0);
    });
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
  }
}
