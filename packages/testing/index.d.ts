/** What a package's `memory()` reports that the leak check compares. */
export interface HeapCounts {
  /** Live tensors. */
  tensors: number;
  /** Bytes allocated on the WebAssembly heap. */
  bytesInUse: number;
}

/** An error class (`ValueError`, `GdError`, …). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Options of a `fails` check. */
export interface FailsOptions {
  /** Compare the live tensors and heap bytes before and after (default true). */
  leakCheck?: boolean;
}

/**
 * Asserts that `fn` throws an instance of `type` (and of the base class) whose message matches
 * `message`, and that the call left no tensor or heap byte behind; returns the error.
 */
export type Fails = (fn: () => unknown, type: ErrorClass, message: RegExp, options?: FailsOptions) => Error;

/** The error `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown;

/** Makes `fails` for the heap that `memory` reports, every error also an instance of `base`. */
export function failsWith(memory: () => HeapCounts, base: ErrorClass): Fails;
