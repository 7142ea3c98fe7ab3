// Filling a tensor's data with one value, in place (used by creation and the ops alike).
import { fillData } from '../runtime.js';
import type { Tensor } from '../tensor.js';

/** Fills a tensor's data with one value, in place. */
export function fillInPlace(t: Tensor, v: number): Tensor {
  fillData(t.ptr('fill'), t.size, t.dtype, v);
  return t;
}
