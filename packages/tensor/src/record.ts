// record(): run a computation once, remember the kernels it called and the heap writes it made,
// and replay them — the same work on the same memory, with none of the JavaScript that chose it
// (argument checks, broadcasting plans, dtype dispatch, tensor objects, autograd's graph). The
// idea of jax's jit and of CUDA graphs, at the level of this library's kernels: a small training
// step spends most of its time in that JavaScript, not in the kernels.
import { DisposedError, fmtShape, StateError, ValueError } from './errors.js';
import { readData, recording, replayedCheck, rt, setTape } from './runtime.js';
import { keep, noteTensors, scope, Tensor } from './tensor.js';

/**
 * A recorded computation: `result` is what the function returned the time it ran; `replay()`
 * runs its kernels again, in order, on the same memory, so `result` (and everything the function
 * wrote, such as gradients) holds what running the function again would give, bit for bit.
 */
export class Recording<T> {
  /** What the recorded function returned (its tensors are rewritten by every replay). */
  readonly result: T;
  private steps: Array<() => void>;
  private held: number[];
  private inputs: Tensor[];
  private restores: Restore[];
  private disposed = false;

  /** @internal — use record(). */
  constructor(result: T, steps: Array<() => void>, held: number[], inputs: Tensor[], restores: Restore[] = []) {
    this.result = result;
    this.steps = steps;
    this.held = held;
    this.inputs = inputs;
    this.restores = restores;
  }

  /** Kernel calls and heap writes on the tape. */
  get length(): number {
    return this.steps.length;
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Runs the recorded kernels again, reading the current contents of the tensors the function
   * read (parameters updated in place, inputs refilled with copyInto). DisposedError if one of
   * them has been disposed since.
   */
  replay(): void {
    if (this.disposed) throw new DisposedError('replay: this recording was disposed');
    if (recording()) throw new StateError('replay: cannot replay inside record() (record the replayed function instead)');
    const inputs = this.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i]!;
      if (t.storage.refs === 0) {
        throw new DisposedError(`replay: tensor ${fmtShape(t.shape)} ${t.dtype}, read by the recorded function, was disposed`);
      }
    }
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) steps[i]!();
    for (const r of this.restores) r.restore(() => alias(r.view));
  }

  /**
   * Frees what the recording holds: the memory of every temporary of the recorded function. The
   * tensors of `result` stay valid until they are disposed themselves. Safe to call twice.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.restores) r.view.dispose();
    rt().allocator.release(this.held);
    this.steps = [];
    this.held = [];
    this.inputs = [];
    this.restores = [];
  }
}

/** A tensor a replay writes again, and what to do with it after each replay. */
interface Restore {
  view: Tensor;
  restore: (alias: () => Tensor) => void;
}

/** A new handle on `t`'s memory, kept beyond any scope (what reshape to the same shape makes, without its checks). */
function alias(t: Tensor): Tensor {
  return keep(new Tensor(t.shape, t.dtype, t.storage));
}
let restores: Restore[] | null = null;

/**
 * @internal While record() records: keeps a handle on `t`'s memory for the recording and calls
 * `restore` after every replay, with `alias()` to make a new handle on that memory. Autograd
 * gives a Variable back the gradient a recorded backward writes, when zeroGrad() dropped it
 * between replays. Does nothing when not recording.
 */
export function holdForReplay(t: Tensor, restore: (alias: () => Tensor) => void): void {
  if (restores === null) return;
  restores.push({ view: alias(t), restore });
}

/**
 * @internal While record() records: `t`, a gradient held by holdForReplay() that is about to be
 * replaced by its sum with another, stops being handed back (the sum is held instead). A
 * gradient from before the recording is refused with a StateError: a replay would add to that
 * stale sum again, not to the gradient of the moment. Does nothing when not recording.
 */
export function replaceHeldForReplay(t: Tensor): void {
  if (restores === null) return;
  const i = restores.findIndex((r) => r.view.storage === t.storage);
  if (i < 0) {
    throw new StateError(
      `record: backward() added to a gradient ${fmtShape(t.shape)} ${t.dtype} that was there before record() began; every replay would add to that old sum again. Clear the gradients (zeroGrad(), or optimizer.zeroGrad()) before record()`,
    );
  }
  restores[i]!.view.dispose();
  restores.splice(i, 1);
}

/**
 * Runs `fn` once, as scope() does (its temporaries are disposed, what it returns is kept), and
 * records every kernel it ran, so `replay()` repeats the work without the JavaScript around it.
 * Holds the memory of those temporaries until `dispose()`, so replays allocate nothing and
 * memory in use stays flat.
 *
 * The contract, as for jax's jit: `fn` must do the same work every time — the same ops on the
 * same tensors with the same numbers. Tensors it reads are read afresh by every replay (update
 * them in place: optimizer steps, copyInto); numbers computed in JavaScript (a learning rate, a
 * step count) are frozen into the recording. Reading a tensor's values inside `fn` (item(),
 * data()) is a StateError, since a value could steer the work; read `result` after `replay()`.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2]);
 * const r = record(() => w.mul(w).sum());
 * r.result.item(); // 5
 * copyInto(w, tensor([3, 4]));
 * r.replay();
 * r.result.item(); // 25
 * r.dispose();
 * ```
 */
export function record<T>(fn: () => T): Recording<T> {
  if (typeof fn !== 'function') throw new ValueError(`record: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (recording()) throw new StateError('record: already recording (recordings do not nest)');
  const allocator = rt().allocator;
  const steps: Array<() => void> = [];
  const used = new Set<Tensor>();
  setTape(steps);
  noteTensors(used);
  allocator.startHolding();
  const kept: Restore[] = [];
  restores = kept;
  let result: T;
  try {
    result = scope(fn);
  } catch (e) {
    for (const r of kept) r.view.dispose();
    allocator.release(allocator.stopHolding());
    throw e;
  } finally {
    setTape(null);
    noteTensors(null);
    restores = null;
  }
  const held = allocator.stopHolding();
  // the tensors read that existed before: a replay needs their memory still theirs
  const mine = new Set(held);
  const inputs = [...used].filter((t) => !mine.has(t.storage.ptr) && t.storage.refs > 0);
  return new Recording(result, steps, held, inputs, kept);
}

/**
 * Validates tensor values in JavaScript (class ids in range, probabilities in [0, 1]): `check`
 * gets a copy of each tensor's data and throws to reject them. Inside record() the check is
 * recorded too, so every replay checks the values the tensors then hold and throws the same error.
 *
 * @example
 * ```ts
 * valueCheck([labels], (ids) => {
 *   if (ids.some((v) => v < 0 || v >= 10)) throw new IndexError('labels out of range');
 * });
 * ```
 */
export function valueCheck(tensors: readonly Tensor[], check: (...data: Array<Float32Array | Float64Array | Int32Array>) => void): void {
  if (!Array.isArray(tensors)) throw new ValueError(`valueCheck: expected an array of tensors, got ${typeof tensors}`);
  if (typeof check !== 'function') throw new ValueError(`valueCheck: expected a check function, got ${typeof check}`);
  // the addresses now: a replay reads the same memory even where a tensor object has gone
  const at = tensors.map((t) => ({ ptr: t.ptr('valueCheck'), size: t.size, dtype: t.dtype }));
  replayedCheck(() => check(...at.map((a) => readData(a.ptr, a.size, a.dtype))));
}
