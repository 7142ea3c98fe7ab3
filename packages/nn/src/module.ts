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
 * fields; they are discovered in field order, with dotted names like `0.weight`. A collection of
 * sub-modules goes in a `ModuleList` or `ModuleDict`: a field holding a plain array of modules is
 * refused when the module is walked, rather than left out of `parameters()`.
 *
 * `forward` takes any inputs and returns any output: `Module<Args, Out>` types it (the default,
 * `Module`, is one input and a Variable out). An error thrown inside a sub-module's forward comes
 * out of the outermost forward with the sub-module's path in front of its message
 * (`Sequential[2] (Linear): matmul: …`), as the same error object, of the same class.
 *
 * @example
 * ```ts
 * class Affine extends Module {
 *   w = parameter(randn([3, 1]));
 *   forward(x: VariableLike) { return asVariable(x).matmul(this.w); }
 * }
 * class Pair extends Module<[VariableLike, VariableLike], Variable> {
 *   forward(a: VariableLike, b: VariableLike) { return asVariable(a).add(b); }
 * }
 * ```
 */
export abstract class Module<Args extends unknown[] = [VariableLike], Out = Variable> {
  /** True in training mode (Dropout active), false after eval(). */
  training = true;
  /** This module's own buffers, by name, in registration order. */
  private readonly ownBuffers = new Map<string, Tensor>();

  constructor() {
    wrapForwards(Object.getPrototypeOf(this) as object);
  }

  /** The layer's computation. */
  abstract forward(...args: Args): Out;

  /**
   * Direct sub-modules with their names. A field that holds an array with a module in it is a
   * ValueError that names `ModuleList`, and a Map or plain object with one is a ValueError that
   * names `ModuleDict`: their parameters would otherwise be missed.
   */
  namedChildren(): Array<[string, AnyModule]> {
    const out: Array<[string, AnyModule]> = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v) && v.some((e) => e instanceof Module)) {
        throw new ValueError(
          `${this.constructor.name}: the field '${k}' holds an array of modules; hold them in a ModuleList (this.${k} = new ModuleList([...])) so their parameters are found`,
        );
      } else if (holdsModulesByName(v)) {
        throw new ValueError(
          `${this.constructor.name}: the field '${k}' holds modules by name in a ${v instanceof Map ? 'Map' : 'plain object'}; hold them in a ModuleDict (this.${k} = new ModuleDict({...})) so their parameters are found`,
        );
      }
    }
    return out;
  }

  /** Direct sub-modules. */
  children(): AnyModule[] {
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
    const walk = (m: AnyModule, at: string) => {
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

/** Whether `v` is a Map or a plain object with a module among its values (a ModuleDict's job). */
function holdsModulesByName(v: unknown): v is object {
  if (v instanceof Map) return [...v.values()].some((e) => e instanceof Module);
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  return Object.values(v).some((e) => e instanceof Module);
}

/** A module with any inputs and output: what walking, saving and loading accept. */
export type AnyModule = Module<never[], unknown>;

// ── forward: the path of the sub-module an error came from ──
// The modules whose forward is running, outermost first.
const running: AnyModule[] = [];
// The error objects already given the path of the module they came from.
const located = new WeakMap<Error, string>();
const wrapped = new WeakSet<object>();

/** The path of the innermost running module, from the outermost one: `Sequential[2].attn`. */
function runningPath(): string {
  let path = running[0]!.constructor.name;
  for (let i = 1; i < running.length; i++) {
    const m = running[i]!;
    if (m === running[i - 1]) continue; // super.forward()
    const names = namesTo(running[i - 1]!, m, new Set());
    path += names === null ? ` > ${m.constructor.name}` : names.map((n) => (/^\d+$/.test(n) ? `[${n}]` : `.${n}`)).join('');
  }
  return `${path} (${running[running.length - 1]!.constructor.name})`;
}

/** The child names leading from `from` down to `to` (through containers such as ModuleList), or null. */
function namesTo(from: AnyModule, to: AnyModule, seen: Set<AnyModule>): string[] | null {
  seen.add(from);
  const kids = from.namedChildren();
  for (const [k, c] of kids) if (c === to) return [k];
  for (const [k, c] of kids) {
    if (seen.has(c)) continue;
    const rest = namesTo(c, to, seen);
    if (rest) return [k, ...rest];
  }
  return null;
}

/**
 * Records where an error came from (at the innermost running module) and, at the outermost,
 * puts that path in front of its message. The error itself is what propagates: naming the path
 * must never replace it, so a failure here leaves it as it was.
 */
function locate(e: Error): void {
  try {
    if (!located.has(e) && running.length > 1) located.set(e, runningPath());
    if (running.length === 1 && located.has(e)) {
      const where = located.get(e)!;
      located.delete(e);
      e.message = `${where}: ${e.message}`;
      if (typeof e.stack === 'string') e.stack = e.stack.replace(/^[^\n]*/, `${e.name}: ${e.message.split('\n')[0]}`);
    }
  } catch {
    // a frozen error, or a module that cannot be walked: the error goes on unchanged
  }
}

/**
 * Replaces each forward on a module's prototype chain (once per class) by one that records the
 * call in `running`, so an error from a sub-module leaves the outermost forward with its path.
 */
function wrapForwards(proto: object): void {
  for (let p = proto; p !== null && p !== Module.prototype; p = Object.getPrototypeOf(p) as object) {
    if (wrapped.has(p)) continue;
    wrapped.add(p);
    const d = Object.getOwnPropertyDescriptor(p, 'forward');
    if (!d || typeof d.value !== 'function') continue;
    const inner = d.value as (...args: unknown[]) => unknown;
    Object.defineProperty(p, 'forward', {
      ...d,
      value: function forward(this: AnyModule, ...args: unknown[]): unknown {
        running.push(this);
        try {
          return inner.apply(this, args);
        } catch (e) {
          if (e instanceof Error) locate(e);
          throw e;
        } finally {
          running.pop();
        }
      },
    });
  }
}
