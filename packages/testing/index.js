// Assertions the packages' tests share. Plain JavaScript with a hand-written index.d.ts, so every
// package's vitest runs it as it is and its tsc reads only the declarations (no build, no rootDir
// clash). It imports no gd package: the caller passes its own `memory` and error base class, so a
// package's tests check the very heap (src or dist) that they run on.
import { expect } from 'vitest';

/** The error `fn` throws, or undefined when it returns. */
export function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** `fails(fn, type, message)` for the heap that `memory` reports and errors derived from `base`. */
export function failsWith(memory, base) {
  return (fn, type, message, options = {}) => {
    const before = memory();
    const error = thrown(fn);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(base);
    expect(error.message).toMatch(message);
    if (options.leakCheck !== false) {
      const after = memory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.bytesInUse).toBe(before.bytesInUse);
    }
    return error;
  };
}
