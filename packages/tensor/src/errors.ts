/**
 * The base of every error gd throws on purpose. `code` is stable and machine-readable; the
 * message names the op, what it was given and what it expected.
 *
 * @example
 * ```ts
 * try { tensor([1, 2]).add(tensor([1, 2, 3])); }
 * catch (e) { if (e instanceof GdError) console.log(e.code); } // 'E_SHAPE'
 * ```
 */
export class GdError extends Error {
  /** A stable code: E_SHAPE, E_DTYPE, E_DISPOSED, E_VALUE, E_INDEX, E_MEMORY, E_STATE. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: broadcasting, matmul inner dimensions, reshape sizes, bad dimensions. */
export class ShapeError extends GdError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** A dtype the op does not accept (e.g. oneHot on float32 indices). */
export class DTypeError extends GdError {
  constructor(message: string) {
    super('E_DTYPE', message);
  }
}

/** A tensor used after `dispose()` (or after its scope ended). */
export class DisposedError extends GdError {
  constructor(message: string) {
    super('E_DISPOSED', message);
  }
}

/** A value outside what the op accepts: NaN bounds, a non-integer count, a bad option. */
export class ValueError extends GdError {
  constructor(message: string) {
    super('E_VALUE', message);
  }
}

/**
 * A linear-algebra op whose input has no answer: a singular matrix for linalg.solve, one that is
 * not positive-definite for linalg.cholesky (torch.linalg.LinAlgError). A ValueError, code E_VALUE.
 */
export class LinalgError extends ValueError {}

/** An index or axis out of range. */
export class IndexError extends GdError {
  constructor(message: string) {
    super('E_INDEX', message);
  }
}

/** WebAssembly memory could not grow to hold a tensor. */
export class MemoryError extends GdError {
  constructor(message: string) {
    super('E_MEMORY', message);
  }
}

/** An operation used in the wrong state (e.g. kernels not ready in a browser main thread). */
export class StateError extends GdError {
  constructor(message: string) {
    super('E_STATE', message);
  }
}

/** Formats a shape as `[2,3]` for messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
