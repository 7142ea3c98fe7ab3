// gradcheck: the analytic gradient from backward() against central finite differences.
import { checkOptions, DTypeError, type FloatDType, randn, scope, Tensor, type TensorLike, tensor, ValueError } from '@gd/tensor';
import { inner } from './functional.js';
import { enableGrad, gradients, noGrad, Variable, variable } from './variable.js';

/**
 * Options of gradcheck. The defaults follow the dtype: float64 (as PyTorch's gradcheck) takes a
 * step of 1e-6 with atol 1e-5 and rtol 1e-3; float32 a step of 1e-3 with atol 1e-3 and rtol 1e-2.
 */
export interface GradcheckOptions {
  /**
   * The dtype the check runs in; the inputs are cast to it. Default: float32 when every input is
   * a float32 or int32 Tensor, float64 otherwise (a float64 Tensor, JS arrays or numbers).
   */
  dtype?: FloatDType;
  /** Finite-difference step. Default 1e-6 in float64, 1e-3 in float32. */
  eps?: number;
  /** Absolute tolerance. Default 1e-5 in float64, 1e-3 in float32. */
  atol?: number;
  /** Relative tolerance. Default 1e-3 in float64, 1e-2 in float32. */
  rtol?: number;
  /** Check at most this many elements per input (spread evenly). Default: all. */
  maxElements?: number;
}

/** The result of gradcheck. */
export interface GradcheckResult {
  /** True when every checked element agrees within atol + rtol·|numeric|. */
  ok: boolean;
  /** Largest |analytic − numeric|. */
  maxAbsError: number;
  /** Largest |analytic − numeric| / max(|numeric|, atol). */
  maxRelError: number;
  /** Where the largest error (relative to the tolerance) is. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  /** Elements checked. */
  checked: number;
  /** The dtype the check ran in. */
  dtype: FloatDType;
}

const DEFAULTS: Record<FloatDType, { eps: number; atol: number; rtol: number }> = {
  float64: { eps: 1e-6, atol: 1e-5, rtol: 1e-3 },
  float32: { eps: 1e-3, atol: 1e-3, rtol: 1e-2 },
};

function checkDtype(inputs: TensorLike[], dtype: unknown): FloatDType {
  if (dtype === undefined) {
    return inputs.every((x) => x instanceof Tensor && x.dtype !== 'float64') ? 'float32' : 'float64';
  }
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`gradcheck: dtype ${String(dtype)} is not float32 or float64`);
  return dtype;
}

/**
 * Checks `f`'s gradient rules: for each input element, the analytic gradient (backward) against
 * the central difference (f(x + ε) − f(x − ε)) / 2ε. A non-scalar output is reduced with a
 * fixed random projection Σ y·v, so every output element takes part. Runs in float64 (the
 * precise check: what remains is each output's rounding, ~1e-16·|y|, divided by the 2ε step, so
 * relative errors of 1e-10 … 1e-7 where float32 gives 1e-2) unless every input is a float32
 * Tensor or `dtype` says so.
 *
 * @example
 * ```ts
 * gradcheck((x) => x.sigmoid().sum(), [randn([3, 4])]).ok; // true
 * ```
 */
export function gradcheck(f: (...xs: Variable[]) => Variable, inputs: TensorLike[], options: GradcheckOptions = {}): GradcheckResult {
  if (typeof f !== 'function') throw new ValueError(`gradcheck: f must be a function of Variables, got ${typeof f}`);
  if (!Array.isArray(inputs)) throw new ValueError(`gradcheck: inputs must be an array, got ${inputs === null ? 'null' : typeof inputs}`);
  options = checkOptions('gradcheck', options);
  const dtype = checkDtype(inputs, options.dtype);
  const eps = options.eps ?? DEFAULTS[dtype].eps;
  const atol = options.atol ?? DEFAULTS[dtype].atol;
  const rtol = options.rtol ?? DEFAULTS[dtype].rtol;
  const View = dtype === 'float64' ? Float64Array : Float32Array;
  return scope(() => {
    const base = inputs.map((x) => (x instanceof Tensor ? x : tensor(x as never, { dtype })).cast(dtype));
    // analytic
    const vars = base.map((b) => variable(b));
    const y = f(...vars);
    const projection = randn(y.shape as number[], { dtype });
    const proj = projection.data();
    // an output that does not depend on the inputs (a linear op's second derivative) has
    // gradient zero
    const projected = y.mul(projection).sum();
    if (projected.requiresGrad) projected.backward();
    const analytic = vars.map((v) => (v.grad ? v.grad.data() : new View(v.size)));
    for (const v of vars) v.zeroGrad();
    // numeric: f's outputs at x ± ε (evaluated in `dtype`), differenced output by output and then
    // projected, in float64. Differencing first (as PyTorch's Jacobian columns do) cancels every
    // output that does not depend on the perturbed element exactly; projecting first would leave
    // the rounding of a sum over all outputs, ~√n ulps of it, divided by 2ε.
    const evaluate = (): Float64Array =>
      noGrad(() => scope(() => Float64Array.from(f(...base.map((b) => new Variable(b, false))).value.data())));
    let maxAbsError = 0;
    let maxRelError = 0;
    let worstScore = -1;
    let worst: GradcheckResult['worst'] = null;
    let ok = true;
    let checked = 0;
    base.forEach((b, k) => {
      const n = b.size;
      const limit = Math.min(n, options.maxElements ?? n);
      const stride = limit > 0 ? n / limit : 1;
      for (let j = 0; j < limit; j++) {
        const i = Math.floor(j * stride);
        // a fresh view for every write: an evaluation may grow the memory and detach the last one
        const at = () => new View(b.bytesView().buffer as ArrayBuffer, b.bytesView().byteOffset, n);
        const x0 = at()[i]!;
        at()[i] = x0 + eps;
        const xp = at()[i]!;
        const fp = evaluate();
        at()[i] = x0 - eps;
        const xm = at()[i]!;
        const fm = evaluate();
        at()[i] = x0;
        let df = 0;
        for (let o = 0; o < fp.length; o++) df += (fp[o]! - fm[o]!) * proj[o]!;
        // divided by the step as stored (x0 ± ε rounded to `dtype`), not by the nominal 2ε
        const numeric = df / (xp - xm);
        const a = analytic[k]![i]!;
        const err = Math.abs(a - numeric);
        const tol = atol + rtol * Math.abs(numeric);
        const rel = err / Math.max(Math.abs(numeric), atol);
        checked++;
        if (!(err <= tol)) ok = false;
        maxAbsError = Math.max(maxAbsError, err);
        maxRelError = Math.max(maxRelError, rel);
        const score = err / tol;
        if (score > worstScore || Number.isNaN(score)) {
          worstScore = Number.isNaN(score) ? Number.POSITIVE_INFINITY : score;
          worst = { input: k, index: i, analytic: a, numeric };
        }
      }
    });
    return { ok, maxAbsError, maxRelError, worst, checked, dtype };
  });
}

/**
 * Checks `f`'s second derivatives (PyTorch's gradgradcheck): the gradient of the first
 * derivative, projected as h(x) = Σ_i ⟨∂s/∂x_i, v_i⟩ with s = Σ f(x)·u for fixed random u and v,
 * against central differences of h — so every gradient rule's own rule (createGraph) is checked
 * against finite differences of the first derivatives. Options and result as gradcheck's.
 *
 * @example
 * ```ts
 * gradgradcheck((x) => x.tanh().sum(), [randn([3], { dtype: 'float64' })]).ok; // true
 * ```
 */
export function gradgradcheck(f: (...xs: Variable[]) => Variable, inputs: TensorLike[], options: GradcheckOptions = {}): GradcheckResult {
  if (typeof f !== 'function') throw new ValueError(`gradgradcheck: f must be a function of Variables, got ${typeof f}`);
  if (!Array.isArray(inputs))
    throw new ValueError(`gradgradcheck: inputs must be an array, got ${inputs === null ? 'null' : typeof inputs}`);
  options = checkOptions('gradgradcheck', options);
  const dtype = checkDtype(inputs, options.dtype);
  return scope(() => {
    const base = inputs.map((x) => (x instanceof Tensor ? x : tensor(x as never, { dtype })).cast(dtype));
    const shape = noGrad(() => scope(() => [...f(...base.map((b) => new Variable(b, false))).shape]));
    const u = randn(shape, { dtype });
    const vs = base.map((b) => randn(b.shape as number[], { dtype }));
    const h = (...xs: Variable[]) =>
      enableGrad(() => {
        // the finite-difference evaluations pass constants: differentiate at them all the same
        const leaves = xs.map((x) => (x.requiresGrad ? x : variable(x.value)));
        const s = f(...leaves)
          .mul(u)
          .sum();
        const gs = s.requiresGrad ? gradients(s, leaves, { createGraph: true, allowUnused: true }) : [];
        return inner(gs, vs) ?? new Variable(tensor(0, { dtype }), false);
      });
    return gradcheck(h, base, { ...options, dtype });
  });
}
