// The optimizer contract users know from PyTorch: step(), zeroGrad(), stateDict(), loadStateDict().
import type { Variable } from '@gd/autograd';
import { keep, ShapeError, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';

/** Anything holding parameters: a list of Variables, or a module with parameters(). */
export type Params =
  | readonly Variable[]
  | {
      /** The parameters to optimise. */
      parameters(): Variable[];
    };

/** Resolves a Params to its Variables. */
export function paramList(params: Params): Variable[] {
  const list = Array.isArray(params) ? [...params] : (params as { parameters(): Variable[] }).parameters();
  for (const p of list) {
    if (!p || typeof p !== 'object' || !('value' in p)) throw new ValueError('optimizer: parameters must be Variables');
    if (p.value.dtype !== 'float32' && p.value.dtype !== 'float64') {
      throw new ValueError(`optimizer: parameter of dtype ${p.value.dtype}; parameters must be float32 or float64`);
    }
  }
  return list;
}

/** A serialisable snapshot of an optimizer: its hyper-parameters, step count and state tensors. */
export interface OptimizerState {
  type: string;
  options: Record<string, number | boolean>;
  step: number;
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
  /** Steps taken. */
  stepCount = 0;
  protected readonly state: Array<Map<string, Tensor>>;

  constructor(params: Params, lr: number) {
    if (typeof lr !== 'number' || !(lr >= 0) || !Number.isFinite(lr))
      throw new ValueError(`optimizer: lr must be a finite number ≥ 0, got ${lr}`);
    this.params = paramList(params);
    this.lr = lr;
    this.state = this.params.map(() => new Map());
  }

  /** The optimizer's name in stateDict(). */
  abstract get type(): string;
  /** Hyper-parameters other than lr, as saved in stateDict(). */
  protected abstract get options(): Record<string, number | boolean>;
  /** Updates parameter i from its gradient (called by step() for parameters with a gradient). */
  protected abstract update(i: number, p: Variable, g: Tensor): void;

  /** A state tensor of parameter i, created on first use as zeros of the parameter's shape and dtype. */
  protected slot(i: number, name: string): Tensor {
    let t = this.state[i]!.get(name);
    if (!t) {
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
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (p.grad) this.update(i, p, p.grad);
    });
  }

  /** A JSON-serialisable copy of the optimizer's state. */
  stateDict(): OptimizerState {
    return {
      type: this.type,
      options: { lr: this.lr, ...this.options },
      step: this.stepCount,
      state: this.state.map((m) => Object.fromEntries([...m].map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.data()) }]))),
    };
  }

  /** Restores a stateDict() of the same optimizer type over parameters of the same shapes. */
  loadStateDict(sd: OptimizerState): void {
    if (!sd || sd.type !== this.type) throw new ValueError(`loadStateDict: state of a ${sd?.type} optimizer cannot load into ${this.type}`);
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) {
      throw new ValueError(`loadStateDict: state has ${sd.state?.length} parameters; this optimizer has ${this.params.length}`);
    }
    const fresh = sd.state.map((rec, i) =>
      Object.entries(rec).map(([name, { shape, data }]) => {
        const want = this.params[i]!.shape;
        if (shape.length !== want.length || shape.some((d, k) => d !== want[k])) {
          throw new ShapeError(
            `loadStateDict: state '${name}' of parameter ${i} has shape [${shape}]; the parameter has [${want.join(',')}]`,
          );
        }
        return [name, tensor(data, { shape, dtype: this.params[i]!.value.dtype })] as const;
      }),
    );
    this.dispose();
    fresh.forEach((entries, i) => {
      for (const [name, t] of entries) this.state[i]!.set(name, keep(t));
    });
    this.lr = Number(sd.options.lr ?? this.lr);
    this.stepCount = sd.step;
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
  }
}
