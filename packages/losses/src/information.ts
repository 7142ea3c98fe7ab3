// Information theory on probability distributions (docs/tutorial.md §1.2): information content, entropy,
// cross-entropy and KL divergence, in any base. JS numbers in give JS numbers out; Tensors
// give Tensors; Variables give differentiable Variables.
import { Variable, type VariableLike } from '@gd/autograd';
import type { NestedArray, Tensor } from '@gd/tensor';
import { checkOptions, ValueError } from '@gd/tensor';
import { dispatch } from './common.js';

/** Options of the information measures. */
export interface InfoOptions {
  /** The logarithm's base, i.e. the unit: 2 (bits, default), Math.E (nats), 10 (hartleys), any b > 0, b ≠ 1. */
  base?: number;
}

/** Options of the measures over distributions. */
export interface DistributionOptions extends InfoOptions {
  /** The axis holding each distribution. Default −1. */
  axis?: number;
  /** Rescale each distribution to sum to 1 instead of rejecting it. Default false. */
  normalize?: boolean;
}

/** How far a distribution's sum may be from 1 (float32 sums of probabilities). */
const SUM_TOLERANCE = 1e-4;

function lnBase(op: string, base: number | undefined): number {
  const b = base ?? 2;
  if (typeof b !== 'number' || !(b > 0) || b === 1 || !Number.isFinite(b)) {
    throw new ValueError(`${op}: base must be a positive number other than 1, got ${String(b)}`);
  }
  return Math.log(b);
}

type Input = VariableLike;

/** JS in → JS out: unwraps a Tensor result when the caller passed plain numbers. */
function output(inputs: Input[], result: Tensor | Variable): never {
  const plain = inputs.every((x) => typeof x === 'number' || Array.isArray(x));
  if (!plain || result instanceof Variable) return result as never;
  const value = result.toArray();
  result.dispose();
  return value as never;
}

/** Checks entries are ≥ 0 and each distribution along `axis` sums to 1 (or rescales it). */
function distribution(op: string, p: Variable, axis: number, normalize: boolean): Variable {
  if (p.rank === 0) throw new ValueError(`${op}: a distribution needs at least one axis, got a scalar`);
  const d = p.value.data();
  for (let i = 0; i < d.length; i++) {
    if (!(d[i]! >= 0)) throw new ValueError(`${op}: probability ${d[i]} at flat index ${i} is negative or NaN`);
  }
  const sums = p.value.sum(axis);
  const s = sums.data();
  sums.dispose();
  if (normalize) {
    // a distribution of total mass 0 (or one that overflows float32) has no normalised form
    const bad = s.findIndex((v) => !(v > 0) || !Number.isFinite(v));
    if (bad >= 0) throw new ValueError(`${op}: distribution ${bad} sums to ${s[bad]}; { normalize: true } needs a positive, finite total`);
    return p.div(p.sum(axis, true));
  }
  for (let i = 0; i < s.length; i++) {
    if (Math.abs(s[i]! - 1) > SUM_TOLERANCE) {
      throw new ValueError(
        `${op}: distribution ${i} sums to ${s[i]} (expected 1 ± ${SUM_TOLERANCE}); pass { normalize: true } to rescale it`,
      );
    }
  }
  return p;
}

// Adding +0 after a negation turns −0 into +0 (IEEE: −0 + 0 = +0), so a certain outcome reads 0, not −0.

/** ln x where p > 0, else 0 — so 0·log 0 = 0 and no NaN reaches a gradient. */
function safeLog(x: Variable, p: Variable): Variable {
  const positive = p.value.gt(0);
  return x.where(positive, 1).log();
}

/**
 * A measure of two distributions p and q along `axis`: both are checked (or normalised), `nats`
 * computes it in nats, and the result is converted to the requested base.
 */
function pairMeasure(
  op: string,
  p: Input,
  q: Input,
  given: DistributionOptions,
  nats: (p: Variable, q: Variable) => Variable,
): number | number[] | Tensor | Variable {
  const options = checkOptions(op, given, ['base', 'axis', 'normalize']);
  const ln = lnBase(op, options.base);
  const axis = options.axis ?? -1;
  const result = dispatch([p, q], (pv, qv) => {
    const pp = distribution(op, pv!, axis, !!options.normalize);
    const qq = distribution(op, qv!, axis, !!options.normalize);
    return nats(pp, qq)
      .mul(1 / ln)
      .add(0);
  });
  return output([p, q], result);
}

/**
 * Information content of an outcome of probability p: I = −log_b p = log_b (1/p). Less likely,
 * more informative; p = 0 gives Infinity.
 *
 * @example
 * ```ts
 * informationContent(0.25);                // 2 (bits)
 * informationContent(0.5, { base: Math.E }); // ln 2 nats
 * ```
 */
export function informationContent(p: number, options?: InfoOptions): number;
export function informationContent(p: number[], options?: InfoOptions): number[];
export function informationContent(p: Tensor | NestedArray, options?: InfoOptions): Tensor;
export function informationContent(p: Variable, options?: InfoOptions): Variable;
export function informationContent(p: Input, options: InfoOptions = {}): number | number[] | Tensor | Variable {
  const op = 'informationContent';
  checkOptions(op, options, ['base']);
  const ln = lnBase(op, options.base);
  const result = dispatch([p], (v) => {
    const d = v!.value.data();
    for (let i = 0; i < d.length; i++)
      if (!(d[i]! >= 0 && d[i]! <= 1)) throw new ValueError(`${op}: probability ${d[i]} is outside [0, 1]`);
    return v!
      .log()
      .mul(-1 / ln)
      .add(0);
  });
  return output([p], result);
}

/**
 * Shannon entropy H(X) = −Σᵢ P(xᵢ) log_b P(xᵢ), with 0·log 0 = 0: the expected information
 * content. Maximal, log_b N, for the uniform distribution over N outcomes.
 *
 * @example
 * ```ts
 * entropy([0.5, 0.5]);            // 1 bit (a fair coin)
 * entropy([1, 1, 1, 1, 1, 1].map((x) => x / 6)); // log2 6 ≈ 2.585 bits (a fair die)
 * ```
 */
export function entropy(p: number[], options?: DistributionOptions): number;
export function entropy(p: number[][], options?: DistributionOptions): number[];
export function entropy(p: Tensor, options?: DistributionOptions): Tensor;
export function entropy(p: Variable, options?: DistributionOptions): Variable;
export function entropy(p: Input, options: DistributionOptions = {}): number | number[] | Tensor | Variable {
  const op = 'entropy';
  checkOptions(op, options, ['base', 'axis', 'normalize']);
  const ln = lnBase(op, options.base);
  const axis = options.axis ?? -1;
  const result = dispatch([p], (v) => {
    const q = distribution(op, v!, axis, !!options.normalize);
    return q
      .mul(safeLog(q, q))
      .sum(axis)
      .mul(-1 / ln)
      .add(0);
  });
  return output([p], result);
}

/**
 * Cross-entropy of distribution q relative to the true p: H(p, q) = −Σᵢ pᵢ log_b qᵢ. It equals
 * H(p) + KL(p ‖ q), so it is smallest, H(p), when q = p.
 *
 * @example
 * ```ts
 * crossEntropyOf([0.5, 0.5], [0.25, 0.75]); // ≈ 1.2075 bits
 * ```
 */
export function crossEntropyOf(p: number[], q: number[], options?: DistributionOptions): number;
export function crossEntropyOf(p: Input, q: Input, options?: DistributionOptions): Tensor | Variable | number | number[];
export function crossEntropyOf(p: Input, q: Input, options: DistributionOptions = {}): number | number[] | Tensor | Variable {
  // H(p, q) = −Σ p log q (in nats, before the change of base)
  return pairMeasure('crossEntropyOf', p, q, options, (pp, qq) =>
    pp
      .mul(safeLog(qq, pp))
      .sum(options.axis ?? -1)
      .neg(),
  );
}

/**
 * Kullback–Leibler divergence KL(p ‖ q) = Σᵢ pᵢ log_b (pᵢ / qᵢ) ≥ 0, zero only when q = p.
 *
 * @example
 * ```ts
 * klDivergenceOf([0.5, 0.5], [0.5, 0.5]); // 0
 * ```
 */
export function klDivergenceOf(p: number[], q: number[], options?: DistributionOptions): number;
export function klDivergenceOf(p: Input, q: Input, options?: DistributionOptions): Tensor | Variable | number | number[];
export function klDivergenceOf(p: Input, q: Input, options: DistributionOptions = {}): number | number[] | Tensor | Variable {
  // KL(p ‖ q) = Σ p (log p − log q)
  return pairMeasure('klDivergenceOf', p, q, options, (pp, qq) => pp.mul(safeLog(pp, pp).sub(safeLog(qq, pp))).sum(options.axis ?? -1));
}
