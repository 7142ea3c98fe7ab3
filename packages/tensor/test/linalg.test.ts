// linalg.solve and linalg.cholesky: hand-computed systems, PyTorch 1.13's results on batched,
// broadcast and pivoting inputs (fixtures/linalg.py), the identities A·X = B and L·Lᵀ = A, and
// the errors of singular and indefinite matrices.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  copyInto,
  DTypeError,
  GdError,
  LinalgError,
  linalg,
  matmul,
  memory,
  record,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  ValueError,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

interface Entry {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'linalg.json'), 'utf8')) as {
  solve: Array<{ name: string; dtype: 'float32' | 'float64'; a: Entry; b: Entry; x: Entry }>;
  cholesky: Array<{ name: string; dtype: 'float32' | 'float64'; a: Entry; l: Entry }>;
};

const make = (e: Entry, dtype: 'float32' | 'float64') =>
  tensor(dtype === 'float64' ? new Float64Array(e.data) : new Float32Array(e.data), { dtype, shape: e.shape });

/** Largest |a − e| over max(1, max |e|): the error relative to the result's scale. */
function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    err = Number.isNaN(d) ? Number.NaN : Math.max(err, d);
  }
  return err / scale;
}

/** Asserts the error is within tol (NaN fails). */
function within(err: number, tol: number, what: string): void {
  expect(err <= tol, `${what}: error ${err} > ${tol}`).toBe(true);
}

const TOL = { float64: 1e-12, float32: 2e-5 };

describe('linalg.solve', () => {
  it('solves a 2×2 system worked by hand: 3x + y = 9, x + 2y = 8 → (2, 3)', () => {
    scope(() => {
      const x = linalg.solve(
        tensor(
          [
            [3, 1],
            [1, 2],
          ],
          { dtype: 'float64' },
        ),
        tensor([9, 8], { dtype: 'float64' }),
      );
      expect(x.shape).toEqual([2]);
      within(relErr(x.data(), [2, 3]), 1e-15, 'x');
    });
  });

  it('pivots: a zero in the first pivot position still solves (by hand: y + z = 3, x = 1, x + z = 4 → (1, 0, 3))', () => {
    scope(() => {
      const x = linalg.solve(
        [
          [0, 1, 1],
          [1, 0, 0],
          [1, 0, 1],
        ],
        [3, 1, 4],
      );
      expect(x.dtype).toBe('float32');
      within(relErr(x.data(), [1, 0, 3]), 1e-6, 'x');
    });
  });

  for (const c of fixture.solve) {
    it(`${c.name}, ${c.dtype}: PyTorch's answer, and A·X = B`, () => {
      const before = memory();
      scope(() => {
        const a = make(c.a, c.dtype);
        const b = make(c.b, c.dtype);
        const x = linalg.solve(a, b);
        expect([x.shape, x.dtype]).toEqual([c.x.shape, c.dtype]);
        within(relErr(x.data(), c.x.data), TOL[c.dtype], 'x against torch');
        // the residual, with B read as matrices [..., n, k]
        // a batch of vectors comes back one axis short of A, a batch of matrices never does
        const vector = x.rank === a.rank - 1;
        const ax = vector ? matmul(a, x.expandDims(-1)).squeeze(-1) : matmul(a, x);
        const bb = scope(() => ax.mul(0).add(b)); // B broadcast to the result's shape
        within(relErr(ax.data(), bb.data()), c.dtype === 'float64' ? 1e-12 : 1e-4, 'A·X − B');
      });
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytesInUse).toBe(before.bytesInUse);
    });
  }

  it('mixes dtypes as PyTorch promotes them: float32 A with float64 b is float64', () => {
    scope(() => {
      const x = linalg.solve(
        tensor([
          [2, 0],
          [0, 4],
        ]),
        tensor([1, 1], { dtype: 'float64' }),
      );
      expect(x.dtype).toBe('float64');
      expect(Array.from(x.data())).toEqual([0.5, 0.25]);
    });
  });

  it('a singular matrix is a LinalgError naming the batch element and the pivot', () => {
    const a = tensor(
      [
        [
          [4, 2],
          [2, 5],
        ],
        [
          [1, 2],
          [2, 4],
        ],
      ],
      { dtype: 'float64' },
    );
    const b = tensor([1, 1], { dtype: 'float64' });
    const e = fails(
      () => linalg.solve(a, b),
      LinalgError,
      /linalg\.solve: A is singular \(batch element 1, at \[1\] of batch shape \[2\]\): the pivot of column 2 is zero/,
    );
    expect(e).toBeInstanceOf(ValueError);
    fails(
      () =>
        linalg.solve(
          [
            [0, 0],
            [0, 1],
          ],
          [1, 1],
        ),
      LinalgError,
      /^linalg\.solve: A is singular: the pivot of column 1 is zero/,
    );
    a.dispose();
    b.dispose();
  });

  it('shapes and dtypes that do not fit are clear errors', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b3 = tensor([1, 2, 3]);
    fails(
      () => linalg.solve(tensor([1, 2]), b3),
      ShapeError,
      /linalg\.solve: A must be a square matrix or a batch of them \[\.\.\., n, n\], got \[2\]/,
      { leakCheck: false },
    );
    fails(
      () =>
        linalg.solve(
          tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
          b3,
        ),
      ShapeError,
      /A must be square \[\.\.\., n, n\], got \[2,3\] \(2×3\)/,
      { leakCheck: false },
    );
    fails(() => linalg.solve(a, b3), ShapeError, /A \[2,2\] and B \[3\]: B must be \[\.\.\., 2\] \(A is 2×2\), got 3 rows/);
    fails(
      () =>
        linalg.solve(
          tensor([
            [
              [1, 0],
              [0, 1],
            ],
            [
              [1, 0],
              [0, 1],
            ],
          ]),
          tensor([
            [[1], [1]],
            [[1], [1]],
            [[1], [1]],
          ]),
        ),
      ShapeError,
      /linalg\.solve.*\[2\].*\[3\]/,
      { leakCheck: false },
    );
    const ints = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'int32' },
    );
    fails(() => linalg.solve(ints, [1, 1]), DTypeError, /linalg\.solve: A is int32; expected float32 or float64/);
    a.dispose();
    b3.dispose();
    ints.dispose();
  });

  it('a Variable operand is pointed to the linalg that records gradients', () => {
    const fake = { [Symbol.for('gd.differentiable')]: () => undefined };
    fails(
      () => linalg.solve([[1]], fake as never),
      ValueError,
      /linalg\.solve: B is a Variable; the linalg\.solve that records gradients is @gd\/autograd's/,
    );
    fails(() => linalg.cholesky(fake as never), ValueError, /linalg\.cholesky: A is a Variable/);
  });

  it('runs inside record(): a replay solves the system the tensors then hold', () => {
    const a = tensor(
      [
        [2, 0],
        [0, 4],
      ],
      { dtype: 'float64' },
    );
    const b = tensor([2, 2], { dtype: 'float64' });
    const r = record(() => linalg.solve(a, b));
    expect(Array.from(r.result.data())).toEqual([1, 0.5]);
    const next = tensor([6, -8], { dtype: 'float64' });
    copyInto(b, next);
    r.replay();
    expect(Array.from(r.result.data())).toEqual([3, -2]);
    // a replay on a matrix made singular meanwhile fails as the eager call would
    const singular = tensor(
      [
        [2, 0],
        [0, 0],
      ],
      { dtype: 'float64' },
    );
    copyInto(a, singular);
    expect(() => r.replay()).toThrow(/linalg\.solve: A is singular: the pivot of column 2 is zero/);
    next.dispose();
    singular.dispose();
    b.dispose();
    r.result.dispose();
    r.dispose();
    a.dispose();
  });
});

describe('linalg.cholesky', () => {
  it('factors a 2×2 worked by hand: [[4, 2], [2, 5]] = L·Lᵀ with L = [[2, 0], [1, 2]]', () => {
    scope(() => {
      const l = linalg.cholesky(
        tensor(
          [
            [4, 2],
            [2, 5],
          ],
          { dtype: 'float64' },
        ),
      );
      expect(l.toArray()).toEqual([
        [2, 0],
        [1, 2],
      ]);
    });
  });

  it('reads only the lower triangle, as PyTorch does', () => {
    scope(() => {
      const l = linalg.cholesky(
        tensor(
          [
            [4, 1000],
            [2, 5],
          ],
          { dtype: 'float64' },
        ),
      );
      expect(l.toArray()).toEqual([
        [2, 0],
        [1, 2],
      ]);
    });
  });

  for (const c of fixture.cholesky) {
    it(`${c.name}, ${c.dtype}: PyTorch's factor, and L·Lᵀ = A`, () => {
      const before = memory();
      scope(() => {
        const a = make(c.a, c.dtype);
        const l = linalg.cholesky(a);
        expect([l.shape, l.dtype]).toEqual([c.l.shape, c.dtype]);
        within(relErr(l.data(), c.l.data), TOL[c.dtype], 'L against torch');
        const llt = matmul(l, l, { transposeB: true });
        within(relErr(llt.data(), a.data()), c.dtype === 'float64' ? 1e-12 : 1e-5, 'L·Lᵀ − A');
      });
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytesInUse).toBe(before.bytesInUse);
    });
  }

  it('an indefinite matrix names the leading minor that is not positive-definite, and its batch element', () => {
    const a = tensor([
      [
        [4, 2],
        [2, 5],
      ],
      [
        [1, 2],
        [2, 1],
      ],
    ]);
    fails(
      () => linalg.cholesky(a),
      LinalgError,
      /linalg\.cholesky: A is not positive-definite \(batch element 1, at \[1\] of batch shape \[2\]\): the leading minor of order 2 is not positive-definite/,
    );
    const nan = tensor([
      [Number.NaN, 0],
      [0, 1],
    ]);
    fails(() => linalg.cholesky(nan), LinalgError, /^linalg\.cholesky: A is not positive-definite: the leading minor of order 1/);
    a.dispose();
    nan.dispose();
  });

  it('shapes that are not square matrices are ShapeErrors', () => {
    const v = tensor([1, 2, 3]);
    fails(
      () => linalg.cholesky(v),
      ShapeError,
      /linalg\.cholesky: A must be a square matrix or a batch of them \[\.\.\., n, n\], got \[3\]/,
    );
    v.dispose();
  });

  it('an empty batch gives an empty result', () => {
    scope(() => {
      const l: Tensor = linalg.cholesky(tensor(new Float32Array(0), { shape: [0, 3, 3] }));
      expect(l.shape).toEqual([0, 3, 3]);
    });
  });
});
