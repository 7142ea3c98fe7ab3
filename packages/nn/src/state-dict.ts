// Copies of a state dict, for keeping weights while training goes on (the best epoch's, in early
// stopping): stateDict() hands out the live tensors, which the next optimizer step overwrites.
import { keep, Tensor, ValueError } from '@gd/tensor';

/**
 * A copy of a module's state dict (or of a state dict), each tensor cloned and `keep()`-ed so it
 * outlives the training step's scope: the weights as they are now, which later optimizer steps
 * do not touch. A tensor listed under several names (tied weights) is cloned once and listed
 * under each. Load it back with `model.loadStateDict(copy)`; dispose its tensors when done.
 *
 * @example
 * ```ts
 * let best = cloneStateDict(model);
 * // … after an epoch that improved the validation loss:
 * for (const t of Object.values(best)) t.dispose();
 * best = cloneStateDict(model);
 * // … at the end:
 * model.loadStateDict(best);
 * ```
 */
export function cloneStateDict(source: { stateDict(): Record<string, Tensor> } | Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  if (source === null || typeof source !== 'object' || Array.isArray(source) || source instanceof Tensor) {
    throw new ValueError(
      `cloneStateDict: expected a module or a record of name → Tensor, got ${Array.isArray(source) ? 'an array' : String(source)}`,
    );
  }
  const state =
    typeof (source as { stateDict?: unknown }).stateDict === 'function'
      ? (source as { stateDict(): Record<string, Tensor> }).stateDict()
      : (source as Record<string, Tensor>);
  for (const [k, t] of Object.entries(state)) {
    if (!(t instanceof Tensor)) throw new ValueError(`cloneStateDict: '${k}' is ${t === null ? 'null' : typeof t}; expected a Tensor`);
  }
  const copies = new Map<Tensor, Tensor>();
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state)) {
    let c = copies.get(t);
    if (!c) {
      c = keep(t.clone());
      copies.set(t, c);
    }
    out[k] = c;
  }
  return out;
}
