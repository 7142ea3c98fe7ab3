// gradcheck: the analytic gradient from backward() against central finite differences.
import { randn, scope, Tensor, type TensorLike, tensor, ValueError } from '@gd/tensor';
import { noGrad, optionsObject, Variable, variable } from './variable.js';

/** Options of gradcheck. Defaults suit float32: a step of 1e-3 and tolerances at its precision. */
export interface GradcheckOptions {
  /** Finite-difference step. Default 1e-3. */
  eps?: number;
  /** Absolute tolerance. Default 1e-3. */
  atol?: number;
  /** Relative tolerance. Default 1e-2. */
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
}

/**
 * Checks `f`'s gradient rules: for each input element, the analytic gradient (backward) against
 * the central difference (f(x + ε) − f(x − ε)) / 2ε. A non-scalar output is reduced with a
 * fixed random projection Σ y·v, so every output element takes part.
 *
 * @example
 * ```ts
 * gradcheck((x) => x.sigmoid().sum(), [randn([3, 4])]).ok; // true
 * ```
 */
export function gradcheck(f: (...xs: Variable[]) => Variable, inputs: TensorLike[], options: GradcheckOptions = {}): GradcheckResult {
  if (typeof f !== 'function') throw new ValueError(`gradcheck: f must be a function of Variables, got ${typeof f}`);
  if (!Array.isArray(inputs)) throw new ValueError(`gradcheck: inputs must be an array, got ${inputs === null ? 'null' : typeof inputs}`);
  options = optionsObject('gradcheck', options);
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  return scope(() => {
    const base = inputs.map((x) => (x instanceof Tensor ? x.clone() : tensor(x as never)).cast('float32'));
    for (const b of base) if (b.dtype !== 'float32') throw new ValueError('gradcheck: inputs must be float32');
    // analytic
    const vars = base.map((b) => variable(b));
    const y = f(...vars);
    const projection = randn(y.shape as number[]);
    const proj = projection.data();
    y.mul(projection).sum().backward();
    const analytic = vars.map((v) => (v.grad ? v.grad.data() : new Float32Array(v.size)));
    for (const v of vars) v.zeroGrad();
    // numeric, in float64 from float32 evaluations
    const evaluate = (): number =>
      noGrad(() =>
        scope(() => {
          const out = f(...base.map((b) => new Variable(b, false))).value.data();
          let s = 0;
          for (let i = 0; i < out.length; i++) s += out[i]! * proj[i]!;
          return s;
        }),
      );
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
        const view = new Float32Array(b.bytesView().buffer, b.bytesView().byteOffset, n);
        const x0 = view[i]!;
        view[i] = x0 + eps;
        const fp = evaluate();
        new Float32Array(b.bytesView().buffer, b.bytesView().byteOffset, n)[i] = x0 - eps;
        const fm = evaluate();
        new Float32Array(b.bytesView().buffer, b.bytesView().byteOffset, n)[i] = x0;
        const numeric = (fp - fm) / (2 * eps);
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
    return { ok, maxAbsError, maxRelError, worst, checked };
  });
}
