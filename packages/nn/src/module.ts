// Module: the PyTorch contract — parameters(), namedParameters(), children(), train()/eval(),
// stateDict()/loadStateDict() — found by walking a module's own fields.
import { Variable, type VariableLike } from '@gd/autograd';
import {
  copyInto,
  DisposedError,
  DTypeError,
  type FloatDType,
  fmtShape,
  keep,
  ShapeError,
  shapesEqual,
  Tensor,
  ValueError,
} from '@gd/tensor';

/**
 * Base class of layers and models. Subclasses keep parameters (Variables) and sub-modules in
 * fields; they are discovered in field order, with dotted names like `0.weight`.
 *
 * @example
 * ```ts
 * class Affine extends Module {
 *   w = parameter(randn([3, 1]));
 *   forward(x: VariableLike) { return asVariable(x).matmul(this.w); }
 * }
 * ```
 */
export abstract class Module {
  /** True in training mode (Dropout active), false after eval(). */
  training = true;
  /** This module's own buffers, by name, in registration order. */
  private readonly ownBuffers = new Map<string, Tensor>();

  /** The layer's computation. */
  abstract forward(x: VariableLike): Variable;

  /** Direct sub-modules with their names. */
  namedChildren(): Array<[string, Module]> {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** Direct sub-modules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * Every parameter with its dotted name, this module's own first, then each child's. A
   * parameter shared by two layers (tied weights) is listed once, under its first name, as
   * PyTorch does, so an optimizer updates it once per step.
   */
  namedParameters(prefix = ''): Array<[string, Variable]> {
    const out: Array<[string, Variable]> = [];
    const seen = new Set<Variable>();
    const walk = (m: Module, at: string) => {
      for (const [k, v] of Object.entries(m)) {
        if (v instanceof Variable && v.requiresGrad && !seen.has(v)) {
          seen.add(v);
          out.push([at + k, v]);
        }
      }
      for (const [k, c] of m.namedChildren()) walk(c, `${at}${k}.`);
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Registers a buffer: state that is saved and loaded with the parameters but not trained
   * (BatchNorm's running statistics). The tensor is kept alive across scopes; registering the
   * same name again replaces (and frees) the old one.
   */
  registerBuffer(name: string, value: Tensor): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ValueError(`registerBuffer: '${name}' is not a valid buffer name`);
    const old = this.ownBuffers.get(name);
    if (old && old !== value) old.dispose();
    this.ownBuffers.set(name, keep(value));
  }

  /** A buffer of this module by name (throws if there is none). */
  buffer(name: string): Tensor {
    const t = this.ownBuffers.get(name);
    if (!t) throw new ValueError(`buffer: this module has no buffer '${name}'`);
    return t;
  }

  /** Every buffer with its dotted name (PyTorch's keys, e.g. `1.running_mean`), this module's own first. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [...this.ownBuffers].map(([k, t]) => [prefix + k, t]);
    for (const [k, m] of this.namedChildren()) out.push(...m.namedBuffers(`${prefix}${k}.`));
    return out;
  }

  /** Every buffer, in namedBuffers() order. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Every parameter, in namedParameters() order. */
  parameters(): Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Training mode (or evaluation mode with false), recursively. Returns this. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children()) c.train(on);
    return this;
  }

  /** Evaluation mode, recursively. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Converts every parameter and float buffer to `dtype` ('float64' is PyTorch's
   * `model.double()`, 'float32' its `model.float()`), recursively, and returns this. Each
   * parameter becomes a new Variable holding the converted value (the old value and gradient are
   * freed), so create optimizers after to(). int32 buffers (counts) stay int32.
   *
   * @example
   * ```ts
   * const net = mlp([2, 8, 1]).to('float64');
   * ```
   */
  to(dtype: FloatDType): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`to: dtype ${String(dtype)} is not float32 or float64`);
    for (const [k, v] of Object.entries(this)) {
      if (!(v instanceof Variable) || !v.requiresGrad || v.dtype === dtype) continue;
      const converted = new Variable(keep(v.value.cast(dtype)), true, 'leaf', [], null, v.name);
      v.zeroGrad();
      v.value.dispose();
      (this as Record<string, unknown>)[k] = converted;
    }
    for (const [k, t] of this.ownBuffers) {
      if (t.dtype === 'int32' || t.dtype === dtype) continue;
      this.ownBuffers.set(k, keep(t.cast(dtype)));
      t.dispose();
    }
    for (const c of this.children()) c.to(dtype);
    return this;
  }

  /** The dtype of the parameters (float32 for a module without any); a DTypeError if they mix. */
  get dtype(): FloatDType {
    const dtypes = [...new Set(this.parameters().map((p) => p.dtype))];
    if (dtypes.length > 1) throw new DTypeError(`dtype: the parameters mix dtypes (${dtypes.join(', ')}); convert with to()`);
    return (dtypes[0] as FloatDType | undefined) ?? 'float32';
  }

  /**
   * Name → parameter value and buffer (the live tensors, not copies), in PyTorch's order: each
   * module's own parameters, then its own buffers, then its children's.
   */
  stateDict(prefix = ''): Record<string, Tensor> {
    const own: Array<[string, Tensor]> = [];
    for (const [k, v] of Object.entries(this)) if (v instanceof Variable && v.requiresGrad) own.push([prefix + k, v.value]);
    for (const [k, t] of this.ownBuffers) own.push([prefix + k, t]);
    const out = Object.fromEntries(own);
    for (const [k, m] of this.namedChildren()) Object.assign(out, m.stateDict(`${prefix}${k}.`));
    return out;
  }

  /**
   * Copies values into the parameters. Every name, value, dtype and shape is checked before
   * anything is written, so a mismatched state leaves the module as it was. The dtypes must
   * match: a float64 state loads into a float64 model; a state of another dtype is a DTypeError
   * that says how to convert (`model.to(dtype)` or `t.cast(dtype)`).
   */
  loadStateDict(state: Record<string, Tensor>): void {
    if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Tensor) {
      throw new ValueError(`loadStateDict: expected a record of name → Tensor, got ${Array.isArray(state) ? 'an array' : String(state)}`);
    }
    // parameters and buffers alike: each entry's live tensor, and what to call it in a message
    const params: Array<[string, { value: Tensor }, string]> = [
      ...this.namedParameters().map(([k, p]): [string, { value: Tensor }, string] => [k, p, 'parameter']),
      ...this.namedBuffers().map(([k, t]): [string, { value: Tensor }, string] => [k, { value: t }, 'buffer']),
    ];
    const names = new Set(params.map(([k]) => k));
    const missing = [...names].filter((k) => !Object.hasOwn(state, k));
    const unexpected = Object.keys(state).filter((k) => !names.has(k));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new ValueError(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    for (const [k, p, what] of params) {
      const t: unknown = state[k];
      if (!(t instanceof Tensor)) throw new ValueError(`loadStateDict: '${k}' is ${t === null ? 'null' : typeof t}; expected a Tensor`);
      if (t.isDisposed) throw new DisposedError(`loadStateDict: '${k}' is a disposed tensor`);
      if (p.value.isDisposed) throw new DisposedError(`loadStateDict: the ${what} '${k}' was disposed`);
      if (t.dtype !== p.value.dtype) {
        throw new DTypeError(
          `loadStateDict: '${k}' is ${t.dtype}; the ${what} is ${p.value.dtype} (convert the model with to('${t.dtype}') or the state with cast('${p.value.dtype}'))`,
        );
      }
      if (!shapesEqual(t.shape, p.value.shape)) {
        throw new ShapeError(`loadStateDict: '${k}' has shape ${fmtShape(t.shape)}; the ${what} has ${fmtShape(p.value.shape)}`);
      }
    }
    for (const [k, p] of params) copyInto(p.value, state[k]!);
  }

  /** Frees every parameter's value and gradient, and every buffer. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.zeroGrad();
      p.value.dispose();
    }
    for (const t of this.buffers()) t.dispose();
  }
}
