// Module: the PyTorch contract — parameters(), namedParameters(), children(), train()/eval(),
// stateDict()/loadStateDict() — found by walking a module's own fields.
import { markReplaced, Variable, type VariableLike } from '@gd/autograd';
import {
  copyInto,
  DisposedError,
  DTypeError,
  type FloatDType,
  fmtShape,
  keep,
  ShapeError,
  StateError,
  shapesEqual,
  Tensor,
  ValueError,
} from '@gd/tensor';
import { optionsOf } from './options.js';

/** Options of Module.loadStateDict(). */
export interface LoadStateDictOptions {
  /** Refuse a state whose names differ from the model's (default true), as PyTorch's strict. */
  strict?: boolean;
}

/** What Module.loadStateDict() reports: PyTorch's missing_keys and unexpected_keys. */
export interface LoadStateDictResult {
  /** The model's names the state lacks (left as they were). */
  missingKeys: string[];
  /** The state's names the model lacks (skipped). */
  unexpectedKeys: string[];
}

/** Whether two tensors of one dtype and shape hold the same values (NaN matching NaN). */
function sameValues(a: Tensor, b: Tensor): boolean {
  const x = a.data();
  const y = b.data();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return true;
}

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
   * freed), so create optimizers after to(). A parameter shared by several layers (tied weights)
   * is converted once and stays shared. int32 buffers (counts) stay int32. All or nothing: every
   * value is converted before any layer changes, so on an error the model is as it was.
   *
   * @example
   * ```ts
   * const net = mlp([2, 8, 1]).to('float64');
   * ```
   */
  to(dtype: FloatDType): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`to: dtype ${String(dtype)} is not float32 or float64`);
    // every module of the tree once (a shared sub-module too)
    const modules: AnyModule[] = [];
    const walk = (m: AnyModule) => {
      if (modules.includes(m)) return;
      modules.push(m);
      for (const c of m.children()) walk(c);
    };
    walk(this);
    // old → converted, each shared parameter or buffer once
    const params = new Map<Variable, Variable>();
    const buffers = new Map<Tensor, Tensor>();
    try {
      for (const m of modules) {
        for (const v of Object.values(m)) {
          if (!(v instanceof Variable) || !v.requiresGrad || v.dtype === dtype || params.has(v)) continue;
          params.set(v, new Variable(keep(v.value.cast(dtype)), true, 'leaf', [], null, v.name));
        }
        for (const t of m.ownBuffers.values()) {
          if (t.dtype === 'int32' || t.dtype === dtype || buffers.has(t)) continue;
          buffers.set(t, keep(t.cast(dtype)));
        }
      }
    } catch (e) {
      for (const v of params.values()) v.value.dispose();
      for (const t of buffers.values()) t.dispose();
      throw e;
    }
    // nothing below can fail: the model changes all at once
    for (const m of modules) {
      for (const [k, v] of Object.entries(m)) {
        const converted = v instanceof Variable ? params.get(v) : undefined;
        if (converted) (m as unknown as Record<string, unknown>)[k] = converted;
      }
      for (const [k, t] of m.ownBuffers) {
        const converted = buffers.get(t);
        if (converted) m.ownBuffers.set(k, converted);
      }
    }
    for (const v of params.keys()) {
      v.zeroGrad();
      v.value.dispose();
      markReplaced(v, `${this.constructor.name}.to('${dtype}') replaced it by a new ${dtype} parameter`);
    }
    for (const t of buffers.keys()) t.dispose();
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
   * module's own parameters, then its own buffers, then its children's. A parameter shared by
   * several layers (tied weights) is listed under each of its names, as PyTorch's state_dict
   * lists it, all of them the same tensor.
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
   * Copies values into the parameters and buffers. Every name, value, dtype and shape is checked
   * before anything is written, so a mismatched state leaves the module as it was. The dtypes
   * must match: a float64 state loads into a float64 model; a state of another dtype is a
   * DTypeError that says how to convert (`model.to(dtype)` or `t.cast(dtype)`). A tied
   * parameter loads from any of its names (the tie is kept: it stays one tensor); where the state
   * gives it under several names, their values must agree.
   *
   * With `{ strict: false }` names the model lacks are skipped and parameters the state lacks are
   * left as they are; with the default `strict: true` either is a ValueError. Returns the names
   * of both kinds, as PyTorch's `missing_keys` and `unexpected_keys`.
   *
   * @example
   * ```ts
   * const { missingKeys, unexpectedKeys } = model.loadStateDict(state, { strict: false });
   * ```
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Tensor) {
      throw new ValueError(`loadStateDict: expected a record of name → Tensor, got ${Array.isArray(state) ? 'an array' : String(state)}`);
    }
    const strict = optionsOf('loadStateDict', options, { strict: true }).strict ?? true;
    if (typeof strict !== 'boolean') throw new ValueError(`loadStateDict: strict must be true or false, got ${String(strict)}`);
    const { live, aliases } = stateAliases(this);
    const paramValues = new Set(this.parameters().map((p) => p.value));
    const unexpectedKeys = Object.keys(state).filter((k) => !Object.hasOwn(live, k));
    const missingKeys = [...aliases.values()].filter((names) => !names.some((k) => Object.hasOwn(state, k))).flat();
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts = [];
      if (missingKeys.length > 0) parts.push(`missing [${missingKeys.join(', ')}]`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected [${unexpectedKeys.join(', ')}]`);
      throw new ValueError(`loadStateDict: ${parts.join(', ')} (pass { strict: false } to load the names that match)`);
    }
    for (const [target, names] of aliases) {
      const what = paramValues.has(target) ? 'parameter' : 'buffer';
      for (const k of names) {
        if (!Object.hasOwn(state, k)) continue;
        const t: unknown = state[k];
        if (!(t instanceof Tensor)) throw new ValueError(`loadStateDict: '${k}' is ${t === null ? 'null' : typeof t}; expected a Tensor`);
        if (t.isDisposed) throw new DisposedError(`loadStateDict: '${k}' is a disposed tensor`);
        if (target.isDisposed) throw new DisposedError(`loadStateDict: the ${what} '${k}' was disposed`);
        if (t.dtype !== target.dtype) {
          throw new DTypeError(
            `loadStateDict: '${k}' is ${t.dtype}; the ${what} is ${target.dtype} (convert the model with to('${t.dtype}') or the state with cast('${target.dtype}'))`,
          );
        }
        if (!shapesEqual(t.shape, target.shape)) {
          throw new ShapeError(`loadStateDict: '${k}' has shape ${fmtShape(t.shape)}; the ${what} has ${fmtShape(target.shape)}`);
        }
      }
    }
    writeState('loadStateDict', aliases, state, (t) => (paramValues.has(t) ? 'parameter' : 'buffer'));
    return { missingKeys, unexpectedKeys };
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

/**
 * A model's stateDict, and the names of each of its tensors (a tied parameter's names grouped),
 * in the stateDict's order. @internal
 */
export function stateAliases(model: AnyModule): { live: Record<string, Tensor>; aliases: Map<Tensor, string[]> } {
  const live = model.stateDict();
  const aliases = new Map<Tensor, string[]>();
  for (const [k, t] of Object.entries(live)) {
    const names = aliases.get(t);
    if (names) names.push(k);
    else aliases.set(t, [k]);
  }
  return { live, aliases };
}

/**
 * Copies a state whose names, dtypes and shapes have been checked against `aliases` into the
 * model's tensors: each tensor once, from the first of its names the state holds. Where the state
 * gives a tied tensor under several names, their values must agree (a ValueError before anything
 * is written). `what` says 'parameter' or 'buffer' for a message. @internal
 */
export function writeState(
  op: string,
  aliases: ReadonlyMap<Tensor, readonly string[]>,
  state: Readonly<Record<string, Tensor>>,
  what: (target: Tensor) => string,
): void {
  const writes: Array<[Tensor, Tensor]> = [];
  for (const [target, names] of aliases) {
    const given = names.filter((k) => Object.hasOwn(state, k));
    const source = given.length > 0 ? state[given[0]!]! : undefined;
    for (const k of given.slice(1)) {
      const t = state[k]!;
      if (t !== source && !sameValues(t, source!))
        throw new ValueError(`${op}: '${given[0]}' and '${k}' name one tied ${what(target)}, but the state gives them different values`);
    }
    if (source) writes.push([target, source]);
  }
  for (const [target, source] of writes) copyInto(target, source);
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

// ── forward: refused while a load into the module is under way ──
/** Modules with loads under way: how many, and what their forward says meanwhile. */
const loading = new WeakMap<AnyModule, { count: number; reason: string }>();

/**
 * Makes the model and every module in it refuse forward() with a StateError saying `reason`
 * until the returned function is called (once; calling it again does nothing). Loads may
 * overlap: a module runs again when the last ends. The forward wrapper consults it, so nothing
 * replaces a module's forward (an ONNX trace, which wraps forwards itself, meets the refusal).
 * @internal
 */
export function markLoading(model: AnyModule, reason: string): () => void {
  const modules = new Set<AnyModule>();
  const walk = (m: AnyModule) => {
    if (modules.has(m)) return;
    modules.add(m);
    for (const c of m.children()) walk(c);
  };
  walk(model);
  for (const m of modules) {
    const p = loading.get(m);
    if (p) p.count++;
    else loading.set(m, { count: 1, reason });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const m of modules) {
      const p = loading.get(m);
      if (p && --p.count === 0) loading.delete(m);
    }
  };
}

/**
 * Replaces each forward on a module's prototype chain (once per class) by one that records the
 * call in `running`, so an error from a sub-module leaves the outermost forward with its path,
 * and that refuses to run while a load into the module is under way (markLoading).
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
        const load = loading.get(this);
        if (load) throw new StateError(`${this.constructor.name}.forward: ${load.reason}`);
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
