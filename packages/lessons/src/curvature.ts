// docs/tutorial.md §3: the second derivative — the line fit's Hessian and the learning-rate bound
// 2/λ_max, Newton's step against gradient descent, and Rosenbrock's valley by gradient descent,
// Adam, L-BFGS and Newton.
import { hessian, type Variable, variable } from '@gd/autograd';
import { mse } from '@gd/losses';
import { Adam, LBFGS, type MinimizeResult, minimize, Newton, type Optimizer, SGD, type StopReason } from '@gd/optim';
import { keep, scope, type Tensor, tensor } from '@gd/tensor';
import { type LineData, lineData } from './lessons.js';

/** The eigenvalues of a symmetric 2×2 matrix [[p, q], [q, r]], largest first. */
export function eigen2(h: number[][]): [number, number] {
  const [[p, q], [, r]] = h as [[number, number], [number, number]];
  const mid = (p + r) / 2;
  const half = Math.hypot((p - r) / 2, q);
  return [mid + half, mid - half];
}

/** One method's run on the line fit or on Rosenbrock. */
export interface CurvatureRun {
  method: string;
  reason: StopReason;
  iterations: number;
  /** Wall time of the run, in milliseconds. */
  ms: number;
  /** Distance of the result to the minimum (|a − a*| for the line, ‖(x, y) − (1, 1)‖ for Rosenbrock). */
  error: number;
  /** The parameters after each step, from the start. */
  path: Array<[number, number]>;
}

/** Runs minimize over two float64 scalars from `start` with `optimizer`, recording the path. */
function run2(
  method: string,
  start: [number, number],
  loss: (u: Variable, v: Variable) => Variable,
  make: (params: Variable[]) => Optimizer,
  options: { maxIterations: number; gradTolerance?: number; lossTolerance?: number },
  error: (u: number, v: number) => number,
  stopBelow = 0,
  iterationsOf?: (o: Optimizer, steps: number) => number,
): CurvatureRun {
  const u = variable(tensor([start[0]], { dtype: 'float64' }));
  const v = variable(tensor([start[1]], { dtype: 'float64' }));
  const path: Array<[number, number]> = [[start[0], start[1]]];
  try {
    const t0 = performance.now();
    const optimizer = make([u, v]);
    const r: MinimizeResult = minimize(() => loss(u, v), [u, v], {
      optimizer,
      ...options,
      history: false,
      onStep: () => {
        const [a, b] = [u.item(), v.item()];
        path.push([a, b]);
        // a run told to stop near the minimum stops there ('stopped')
        return error(a, b) < stopBelow ? false : undefined;
      },
    });
    const ms = performance.now() - t0;
    const iterations = iterationsOf ? iterationsOf(optimizer, r.iterations) : r.iterations;
    return { method, reason: r.reason, iterations, ms, error: error(u.item(), v.item()), path };
  } finally {
    for (const p of [u, v]) {
      p.zeroGrad();
      p.value.dispose();
    }
  }
}

/** The line fit of §2.3 under curvature: its Hessian, the learning-rate bound, GD against Newton. */
export interface LineCurvature {
  data: LineData;
  /** The Hessian of the mean squared error in (a, b) (constant: the loss is a quadratic). */
  hessian: number[][];
  /** Its eigenvalues, largest first. */
  eigenvalues: [number, number];
  /** 2 / λ_max: gradient descent diverges above it. */
  lrBound: number;
  /** Gradient descent (η = 0.1) until a and b are within 1e-6 of least squares, and one Newton step from the same start. */
  runs: CurvatureRun[];
}

/** docs/tutorial.md §3.1–3.3 on the line fit's data. */
export function lineCurvature(seed: number): LineCurvature {
  const data = lineData(seed);
  const { a: aStar, b: bStar } = data.exact;
  return scope(() => {
    const X = keep(tensor(data.x, { dtype: 'float64' }));
    const Y = keep(tensor(data.y, { dtype: 'float64' }));
    try {
      const loss = (a: Variable, b: Variable) => mse(a.mul(X).add(b), Y);
      const H = (
        hessian((t) => loss(t.slice(0, 1), t.slice(1, 1)))(tensor([0, 0], { dtype: 'float64' })) as Tensor
      ).toArray() as number[][];
      const eigenvalues = eigen2(H);
      const error = (a: number, b: number) => Math.max(Math.abs(a - aStar), Math.abs(b - bStar));
      const gd = run2('gradient descent, η = 0.1', [0, 0], loss, (ps) => new SGD(ps, { lr: 0.1 }), { maxIterations: 100_000 }, error, 1e-6);
      const newton = run2('Newton', [0, 0], loss, (ps) => new Newton(ps), { maxIterations: 1 }, error);
      return { data, hessian: H, eigenvalues, lrBound: 2 / eigenvalues[0], runs: [gd, newton] };
    } finally {
      X.dispose();
      Y.dispose();
    }
  });
}

/** Rosenbrock's function (1 − x)² + 100(y − x²)², minimum 0 at (1, 1). */
export function rosenbrock(x: Variable, y: Variable): Variable {
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
}

/**
 * Rosenbrock's curved valley from (−1.2, 1) by gradient descent, Adam, L-BFGS (strong-Wolfe line
 * search) and Newton, each until ‖∇‖ < 1e-6 or its iteration budget.
 */
export function rosenbrockRace(start: [number, number] = [-1.2, 1]): CurvatureRun[] {
  const error = (x: number, y: number) => Math.hypot(x - 1, y - 1);
  const opts = (maxIterations: number) => ({ maxIterations, gradTolerance: 1e-6 });
  return [
    run2('gradient descent, η = 0.001', start, rosenbrock, (ps) => new SGD(ps, { lr: 0.001 }), opts(20_000), error),
    run2('Adam, η = 0.02', start, rosenbrock, (ps) => new Adam(ps, { lr: 0.02 }), opts(20_000), error),
    // each step of L-BFGS runs up to 20 iterations of its own: those are counted; its tolerances
    // are tightened from PyTorch's defaults, which stop it at a loss change below 1e-9
    run2(
      'L-BFGS, strong Wolfe',
      start,
      rosenbrock,
      (ps) => new LBFGS(ps, { lineSearchFn: 'strongWolfe', toleranceGrad: 1e-12, toleranceChange: 1e-15 }),
      opts(100),
      error,
      0,
      (o) => (o as LBFGS).lbfgsState.nIter,
    ),
    run2('Newton', start, rosenbrock, (ps) => new Newton(ps), opts(100), error),
  ];
}
