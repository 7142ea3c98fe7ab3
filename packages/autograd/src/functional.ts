// Functional forms: grad(f) and valueAndGrad(f) return functions that compute gradients, and they
// compose — grad(grad(f)) is the second derivative. hessian, jacobian, hvp, vjp and jvp are
// built on gradients(), which differentiates a gradient as readily as a loss.
import { DTypeError, oneHot, scope, Tensor, type TensorLike, tensor, ValueError, zeros } from '@gd/tensor';
import { enableGrad, gradients, isGradEnabled, stack, Variable, variable } from './variable.js';

/** A scalar function of Variables, as grad() and valueAndGrad() take it (grad(f) is one too). */
export type ScalarFn = (...args: Variable[]) => Variable | Variable[];

/**
 * What grad(f) returns. Called with Tensors or arrays it gives Tensors; called with Variables it
 * gives Variables that record their graph, so grad(grad(f)) is the second derivative.
 */
export interface GradFn {
  /** Differentiable gradients (one per argument; one alone for one argument). */
  (...args: Variable[]): Variable | Variable[];
  /** Gradients as Tensors (one per argument; one alone for one argument). */
  (...args: Array<TensorLike | Variable>): Tensor | Tensor[];
}

function checkFunction(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new ValueError(`${op}: expected a function of Variables returning a scalar Variable, got ${typeof f}`);
}

/** f's single scalar Variable output, or a clear error. */
function scalarOutput(op: string, out: unknown): Variable {
  if (!(out instanceof Variable))
    throw new ValueError(`${op}: f must return a Variable (a scalar), got ${Array.isArray(out) ? 'an array' : typeof out}`);
  if (out.size !== 1) throw new ValueError(`${op}: f must return a scalar, got shape [${out.shape.join(',')}]`);
  return out;
}

/** The gradients of f at args, differentiable (a graph through the Variable args). */
function graphGrads(op: string, f: ScalarFn, args: Array<TensorLike | Variable>): [Variable, Variable[]] {
  return enableGrad(() => {
    const vars = args.map((a, i) => leafOf(op, a, i));
    const out = scalarOutput(op, f(...vars));
    const gs = out.requiresGrad ? gradients(out, vars, { createGraph: true, allowUnused: true }) : vars.map(() => null);
    // an input f did not use has gradient zero
    return [out, gs.map((g, i) => g ?? zerosLike(vars[i]!))];
  });
}

function run(op: string, f: ScalarFn, args: Array<TensorLike | Variable>): [number, Tensor[]] {
  // f is differentiated wherever grad(f) is called, noGrad() included (f may be grad(g) itself)
  return scope(() =>
    enableGrad(() => {
      const vars = args.map((a, i) => checkFloat(op, variable(a instanceof Variable ? a.value : a), i));
      const out = scalarOutput(op, f(...vars));
      const value = out.item();
      const grads = out.requiresGrad ? gradients(out, vars, { allowUnused: true }) : vars.map(() => null);
      const result = grads.map((g, i) => {
        // an input f did not use has gradient zero
        const t = g ? g.value : zeros(vars[i]!.shape as number[], vars[i]!.dtype);
        t.kept = false;
        return t;
      });
      return [value, result] as [number, Tensor[]];
    }),
  );
}

/** True when a call should record: a Variable argument and grad mode on. */
const recording = (args: unknown[]) => isGradEnabled() && args.some((a) => a instanceof Variable);

/**
 * The gradient function of a scalar function: `grad(f)(x)` is ∇f(x) (a Tensor); with several
 * arguments it returns one gradient per argument. Called with Variables it returns Variables
 * with a graph of their own, so `grad(grad(f))(x)` is the second derivative.
 *
 * @example
 * ```ts
 * const df = grad((p) => p.square().sum());
 * df(tensor([1, 2])).toArray(); // [2, 4]
 * const d2 = grad(grad((x) => x.pow(3)));
 * d2(tensor([3], { dtype: 'float64' })).toArray(); // [18]
 * ```
 */
export function grad(f: ScalarFn): GradFn {
  checkFunction('grad', f);
  return ((...args: Array<TensorLike | Variable>) => {
    if (recording(args)) {
      const [, gs] = graphGrads('grad', f, args);
      return gs.length === 1 ? gs[0]! : gs;
    }
    const [, grads] = run('grad', f, args);
    return grads.length === 1 ? grads[0]! : grads;
  }) as GradFn;
}

/**
 * Like grad(f), but returns `[value, grads]`: f's value and the gradient for every argument.
 *
 * @example
 * ```ts
 * const [value, [da, db]] = valueAndGrad((a, b) => a.mul(b).sum())(tensor([1, 2]), tensor([3, 4]));
 * // value 11, da [3, 4], db [1, 2]
 * ```
 */
export function valueAndGrad(f: ScalarFn): (...args: Array<TensorLike | Variable>) => [number, Tensor[]] {
  checkFunction('valueAndGrad', f);
  return (...args) => run('valueAndGrad', f, args);
}

/** Rows of the Jacobian of `y` (any shape) with respect to `x`: one backward pass per element of y. */
function jacobianRows(y: Variable, x: Variable, graph: boolean): Variable {
  const m = y.size;
  const rows: Variable[] = [];
  for (let j = 0; j < m; j++) {
    const e = oneHot(tensor([j], { dtype: 'int32' }), m)
      .reshape(y.shape as number[])
      .cast(y.dtype === 'float64' ? 'float64' : 'float32');
    const [g] = y.requiresGrad ? gradients(y, [x], { gradOutputs: e, retainGraph: true, createGraph: graph, allowUnused: true }) : [null];
    rows.push(g ?? new Variable(zeros(x.shape as number[], x.dtype), false));
  }
  return stack(rows, 0).reshape([...y.shape, ...x.shape]);
}

/** A floating-point input as it is; only these have derivatives (PyTorch refuses integer inputs too). */
function checkFloat(op: string, v: Variable, i: number): Variable {
  if (v.dtype !== 'float32' && v.dtype !== 'float64')
    throw new DTypeError(
      `${op}: input ${i} is ${v.dtype}; derivatives are taken with respect to float32 or float64 inputs (cast it: x.cast('float32'))`,
    );
  return v;
}

/** The input as a leaf Variable, or the caller's Variable when it records (for composition). */
function leafOf(op: string, x: TensorLike | Variable, i = 0): Variable {
  return checkFloat(op, x instanceof Variable ? (x.requiresGrad && isGradEnabled() ? x : variable(x.value)) : variable(x), i);
}

/** A Tensor result for Tensor inputs, the Variable for a recording call. */
function result(v: Variable, graph: boolean): Variable | Tensor {
  if (graph) return v;
  v.value.kept = false;
  return v.value;
}

/**
 * The Jacobian of f at x: shape `[...f(x).shape, ...x.shape]`, entry [i, j] = ∂f_i/∂x_j (one
 * backward pass per output element, as torch.autograd.functional.jacobian).
 *
 * @example
 * ```ts
 * jacobian((x) => x.square())(tensor([1, 2])).toArray(); // [[2, 0], [0, 4]]
 * ```
 */
export function jacobian(f: (x: Variable) => Variable): {
  (x: Variable): Variable;
  (x: TensorLike): Tensor;
} {
  checkFunction('jacobian', f);
  return ((x: TensorLike | Variable) => {
    const graph = recording([x]);
    const run = () =>
      enableGrad(() => {
        const xv = leafOf('jacobian', x);
        const y = f(xv);
        if (!(y instanceof Variable)) throw new ValueError(`jacobian: f must return a Variable, got ${typeof y}`);
        return result(jacobianRows(y, xv, graph), graph);
      });
    return graph ? run() : scope(run);
  }) as never;
}

/**
 * The Hessian of a scalar f at x: shape `[...x.shape, ...x.shape]`, the Jacobian of its
 * gradient (each row one backward pass through the gradient's own graph).
 *
 * @example
 * ```ts
 * // f = x₀²x₁: H = [[2x₁, 2x₀], [2x₀, 0]]
 * hessian((x) => x.slice(0, 1).square().mul(x.slice(1, 1)).sum())(tensor([1, 3])).toArray(); // [[6, 2], [2, 0]]
 * ```
 */
export function hessian(f: (x: Variable) => Variable): {
  (x: Variable): Variable;
  (x: TensorLike): Tensor;
} {
  checkFunction('hessian', f);
  return ((x: TensorLike | Variable) => {
    const graph = recording([x]);
    const run = () =>
      enableGrad(() => {
        const xv = leafOf('hessian', x);
        const y = scalarOutput('hessian', f(xv));
        const [g] = y.requiresGrad ? gradients(y, [xv], { createGraph: true, allowUnused: true }) : [null];
        const gv = g ?? new Variable(zeros(xv.shape as number[], xv.dtype), false);
        return result(jacobianRows(gv, xv, graph), graph);
      });
    return graph ? run() : scope(run);
  }) as never;
}

/** One input or several, as the functional forms take them (torch's tuple or tensor). */
export type Inputs = TensorLike | Variable | ReadonlyArray<TensorLike | Variable>;

/** The inputs as a list (a single tensor is one input; a plain nested array is one input too). */
function inputList(op: string, inputs: Inputs): { list: Array<TensorLike | Variable>; single: boolean } {
  if (inputs instanceof Tensor || inputs instanceof Variable || typeof inputs === 'number') return { list: [inputs], single: true };
  if (!Array.isArray(inputs)) throw new ValueError(`${op}: inputs must be a tensor, a Variable or an array of them`);
  if (inputs.length > 0 && inputs.every((x) => x instanceof Tensor || x instanceof Variable)) return { list: [...inputs], single: false };
  return { list: [inputs as TensorLike], single: true };
}

function matchShapes(op: string, xs: Variable[], vs: Array<TensorLike | Variable>): Variable[] {
  if (vs.length !== xs.length) throw new ValueError(`${op}: v has ${vs.length} entries; there are ${xs.length} inputs`);
  return xs.map((x, i) => {
    const v = vs[i]!;
    const vv = v instanceof Variable ? v : new Variable(v instanceof Tensor ? v : tensor(v as never, { dtype: x.dtype }), false);
    if (vv.shape.join() !== x.shape.join())
      throw new ValueError(`${op}: v[${i}] has shape [${vv.shape.join(',')}]; input ${i} has [${x.shape.join(',')}]`);
    return vv;
  });
}

/** Σ_i ⟨a_i, b_i⟩ as a scalar Variable (null when every a_i is). @internal */
export function inner(as: Array<Variable | null>, bs: Array<Variable | Tensor>): Variable | null {
  let total: Variable | null = null;
  as.forEach((a, i) => {
    if (!a) return;
    const term = a.mul(bs[i]!).sum();
    total = total ? total.add(term) : term;
  });
  return total;
}

/** The results as Tensors (kept out of the call's scope) or as the recording call's Variables. */
function out(vs: Variable[], single: boolean, graph: boolean): Variable | Variable[] | Tensor | Tensor[] {
  const rs = vs.map((v) => result(v, graph));
  return single ? rs[0]! : (rs as Tensor[] | Variable[]);
}

function zerosLike(x: Variable): Variable {
  return new Variable(zeros(x.shape as number[], x.dtype), false);
}

/**
 * The Hessian–vector product of a scalar f at `inputs` with `v` (torch.autograd.functional.hvp):
 * `[f(inputs), H·v]`, by differentiating ⟨∇f, v⟩ — no Hessian is formed. f takes the inputs as
 * separate arguments; `v` has their structure.
 *
 * @example
 * ```ts
 * const [value, hv] = hvp((x) => x.pow(3).sum(), tensor([1, 2]), tensor([1, 1]));
 * // value 9, hv = 6x·v = [6, 12]
 * ```
 */
export function hvp(f: ScalarFn, inputs: Inputs, v: Inputs): [Tensor, Tensor | Tensor[]] {
  checkFunction('hvp', f);
  const { list, single } = inputList('hvp', inputs);
  const graph = recording(list);
  const run = () =>
    enableGrad(() => {
      const xs = list.map((a, i) => leafOf('hvp', a, i));
      const vs = matchShapes('hvp', xs, inputList('hvp', v).list);
      const y = scalarOutput('hvp', f(...xs));
      const gs = y.requiresGrad ? gradients(y, xs, { createGraph: true, allowUnused: true }) : xs.map(() => null);
      const s = inner(gs, vs);
      const hv = s?.requiresGrad ? gradients(s, xs, { allowUnused: true, createGraph: graph }) : xs.map(() => null);
      return [
        result(y, graph),
        out(
          hv.map((h, i) => h ?? zerosLike(xs[i]!)),
          single,
          graph,
        ),
      ];
    });
  return (graph ? run() : scope(run)) as never;
}

/**
 * The vector–Jacobian product of f at `inputs` with `v` (torch.autograd.functional.vjp):
 * `[f(inputs), vᵀ·J]`, one backward pass. `v` may be omitted for a scalar f.
 *
 * @example
 * ```ts
 * const [y, g] = vjp((x) => x.square(), tensor([1, 2]), tensor([1, 10])); // y [1, 4], g [2, 40]
 * ```
 */
export function vjp(f: ScalarFn, inputs: Inputs, v?: TensorLike | Variable): [Tensor, Tensor | Tensor[]] {
  checkFunction('vjp', f);
  const { list, single } = inputList('vjp', inputs);
  const graph = recording(list);
  const run = () =>
    enableGrad(() => {
      const xs = list.map((a, i) => leafOf('vjp', a, i));
      const y = f(...xs);
      if (!(y instanceof Variable)) throw new ValueError(`vjp: f must return a Variable, got ${typeof y}`);
      const gs = y.requiresGrad ? gradients(y, xs, { gradOutputs: v, createGraph: graph, allowUnused: true }) : xs.map(() => null);
      return [
        result(y, graph),
        out(
          gs.map((g, i) => g ?? zerosLike(xs[i]!)),
          single,
          graph,
        ),
      ];
    });
  return (graph ? run() : scope(run)) as never;
}

/**
 * The Jacobian–vector product of f at `inputs` with `v` (torch.autograd.functional.jvp):
 * `[f(inputs), J·v]`, by the double-vjp trick: vᵀ·J is linear in the upstream gradient u, and the
 * gradient of ⟨uᵀJ, v⟩ with respect to u is J·v.
 *
 * @example
 * ```ts
 * const [y, t] = jvp((x) => x.square(), tensor([1, 2]), tensor([1, 10])); // t = 2x·v = [2, 40]
 * ```
 */
export function jvp(f: ScalarFn, inputs: Inputs, v: Inputs): [Tensor, Tensor] {
  checkFunction('jvp', f);
  const { list } = inputList('jvp', inputs);
  const graph = recording(list);
  const run = () =>
    enableGrad(() => {
      const xs = list.map((a, i) => leafOf('jvp', a, i));
      const vs = matchShapes('jvp', xs, inputList('jvp', v).list);
      const y = f(...xs);
      if (!(y instanceof Variable)) throw new ValueError(`jvp: f must return a Variable, got ${typeof y}`);
      const u = variable(zeros(y.shape as number[], y.dtype === 'float64' ? 'float64' : 'float32'));
      const gs = y.requiresGrad ? gradients(y, xs, { gradOutputs: u, createGraph: true, allowUnused: true }) : xs.map(() => null);
      const s = inner(gs, vs);
      const [jv] = s?.requiresGrad ? gradients(s, [u], { allowUnused: true, createGraph: graph }) : [null];
      return [result(y, graph), result(jv ?? zerosLike(u), graph)];
    });
  return (graph ? run() : scope(run)) as never;
}
