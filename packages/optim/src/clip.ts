import { clampInPlace, scaleInPlace, sumOfSquares, ValueError } from '@gd/tensor';
import { type Params, paramList } from './optimizer.js';

/** The Euclidean norm ‖∇θ‖₂ of all gradients together (0 for parameters without one). */
export function gradNorm(params: Params): number {
  let s = 0;
  for (const p of paramList(params)) if (p.grad) s += sumOfSquares(p.grad);
  return Math.sqrt(s);
}

/**
 * Rescales all gradients in place so their joint 2-norm is at most maxNorm; returns the norm
 * before clipping (as PyTorch's clip_grad_norm_).
 *
 * @example
 * ```ts
 * loss.backward(); clipGradNorm(model, 1.0); opt.step();
 * ```
 */
export function clipGradNorm(params: Params, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new ValueError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const norm = gradNorm(params);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) for (const p of paramList(params)) if (p.grad) scaleInPlace(p.grad, scale);
  return norm;
}

/**
 * Clamps every gradient element to [−clip, clip] in place.
 *
 * @example
 * ```ts
 * clipGradValue(model, 0.5);
 * ```
 */
export function clipGradValue(params: Params, clip: number): void {
  if (!(clip > 0)) throw new ValueError(`clipGradValue: clip must be > 0, got ${clip}`);
  for (const p of paramList(params)) if (p.grad) clampInPlace(p.grad, -clip, clip);
}
