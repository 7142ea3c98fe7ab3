// ModuleList and ModuleDict: collections of sub-modules that the walk of a module finds, with
// PyTorch's keys (`layers.0.weight`, `heads.cls.bias`).
import { IndexError, StateError, ValueError } from '@gd/tensor';
import { type AnyModule, Module } from './module.js';

function checkModule(op: string, what: string, m: unknown): void {
  if (!(m instanceof Module)) {
    throw new ValueError(`${op}: ${what} is not a Module, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`);
  }
}

/**
 * Sub-modules in a list, named '0', '1', … in `namedParameters()` and `stateDict()` (PyTorch's
 * nn.ModuleList). It has no forward of its own: a model iterates over it.
 *
 * @example
 * ```ts
 * const blocks = new ModuleList([new Linear(4, 4), new Linear(4, 4)]);
 * blocks.namedParameters().map(([k]) => k); // ['0.weight', '0.bias', '1.weight', '1.bias']
 * for (const b of blocks) x = b.forward(x);
 * ```
 */
export class ModuleList<M extends AnyModule = Module> extends Module<never[], never> implements Iterable<M> {
  // The modules are own fields '0', '1', … (as Sequential's), so any walk of a module's fields finds them.

  constructor(modules: Iterable<M> = []) {
    super();
    if (modules === null || typeof (modules as Partial<Iterable<M>>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`ModuleList: expected an array (or iterable) of modules, got ${modules === null ? 'null' : typeof modules}`);
    }
    this.extend(modules);
  }

  /** The modules in order (integer-like keys are enumerated first, in ascending order). */
  private items(): M[] {
    const out: M[] = [];
    for (const [k, v] of Object.entries(this)) if (/^\d+$/.test(k)) out.push(v as M);
    return out;
  }

  /** Stores `items` as the fields '0' … 'n−1'. */
  private store(items: readonly M[]): void {
    const self = this as unknown as Record<string, M>;
    for (const k of Object.keys(this)) if (/^\d+$/.test(k)) delete self[k];
    items.forEach((m, i) => {
      self[String(i)] = m;
    });
  }

  /** The modules with their indices as names. */
  override namedChildren(): Array<[string, M]> {
    return this.items().map((m, i): [string, M] => [String(i), m]);
  }

  /** How many modules it holds. */
  get length(): number {
    return this.items().length;
  }

  /** The module at `index` (negative counts from the end); an IndexError outside the list. */
  at(index: number): M {
    const items = this.items();
    const n = items.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new IndexError(`ModuleList.at: index ${index} is out of range for a list of ${n} modules`);
    }
    return items[index < 0 ? index + n : index]!;
  }

  /** Adds a module at the end; returns this. */
  append(module: M): this {
    checkModule('ModuleList.append', 'the argument', module);
    this.store([...this.items(), module]);
    return this;
  }

  /** Adds modules at the end; returns this. */
  extend(modules: Iterable<M>): this {
    const list = [...modules];
    list.forEach((m, i) => {
      checkModule('ModuleList', `item ${i}`, m);
    });
    this.store([...this.items(), ...list]);
    return this;
  }

  /** Inserts a module before `index` (0 ≤ index ≤ length); returns this. */
  insert(index: number, module: M): this {
    const items = this.items();
    if (!Number.isInteger(index) || index < 0 || index > items.length) {
      throw new IndexError(`ModuleList.insert: index ${index} is out of range 0..${items.length}`);
    }
    checkModule('ModuleList.insert', 'the module', module);
    items.splice(index, 0, module);
    this.store(items);
    return this;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.items()[Symbol.iterator]();
  }

  /** A ModuleList has no forward: iterate over it. Always a StateError. */
  forward(): never {
    throw new StateError('ModuleList: a ModuleList has no forward; iterate over it and call each module');
  }
}

/**
 * Sub-modules by name, in insertion order, named by their keys in `namedParameters()` and
 * `stateDict()` (PyTorch's nn.ModuleDict). It has no forward of its own.
 *
 * @example
 * ```ts
 * const heads = new ModuleDict({ cls: new Linear(8, 3), box: new Linear(8, 4) });
 * heads.get('cls')!.forward(x);
 * heads.namedParameters()[0]![0]; // 'cls.weight'
 * ```
 */
export class ModuleDict<M extends AnyModule = Module> extends Module<never[], never> {
  // The modules are own fields named by their keys, so any walk of a module's fields finds them;
  // `order` keeps insertion order, which field order loses for integer-like keys.
  private readonly order: string[] = [];

  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    if (modules === null || typeof modules !== 'object') {
      throw new ValueError(
        `ModuleDict: expected a record (or [key, module] pairs) of modules, got ${modules === null ? 'null' : typeof modules}`,
      );
    }
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  private field(key: string): M {
    return (this as unknown as Record<string, M>)[key]!;
  }

  /** The modules with their keys as names, in insertion order. */
  override namedChildren(): Array<[string, M]> {
    return this.order.map((k): [string, M] => [k, this.field(k)]);
  }

  /** How many modules it holds. */
  get size(): number {
    return this.order.length;
  }

  /** The module under `key`, or undefined. */
  get(key: string): M | undefined {
    return this.has(key) ? this.field(key) : undefined;
  }

  /** Whether a module is held under `key`. */
  has(key: string): boolean {
    return this.order.includes(key);
  }

  /**
   * Holds `module` under `key`, replacing any module there; returns this. A key is a non-empty
   * name without '.' that is not already a property of the dict (such as `training` or `get`).
   */
  set(key: string, module: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new ValueError(
        `ModuleDict: a key must be a non-empty string without '.', got ${typeof key === 'string' ? `'${key}'` : typeof key}`,
      );
    }
    if (!this.has(key) && key in this)
      throw new ValueError(`ModuleDict: the key '${key}' is a property of ModuleDict; choose another name`);
    checkModule('ModuleDict', `the value of '${key}'`, module);
    if (!this.has(key)) this.order.push(key);
    (this as unknown as Record<string, M>)[key] = module;
    return this;
  }

  /** Removes the module under `key`; returns whether there was one. */
  delete(key: string): boolean {
    const at = this.order.indexOf(key);
    if (at < 0) return false;
    this.order.splice(at, 1);
    delete (this as unknown as Record<string, M>)[key];
    return true;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.order];
  }

  /** The modules, in insertion order. */
  values(): M[] {
    return this.order.map((k) => this.field(k));
  }

  /** [key, module] pairs, in insertion order. */
  entries(): Array<[string, M]> {
    return this.namedChildren();
  }

  /** A ModuleDict has no forward: pick a module by key. Always a StateError. */
  forward(): never {
    throw new StateError('ModuleDict: a ModuleDict has no forward; call the module under a key (get(key).forward(...))');
  }
}
