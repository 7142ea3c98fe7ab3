// Lesson 4 (docs/tutorial.md §2.4): plain GD, SGD, momentum and Adam on the same loss surfaces.
import { hessian, type Variable, variable } from '@gd/autograd';
import { lineData } from '@gd/lessons';
import { mse } from '@gd/losses';
import { Adam, batches, LBFGS, Newton, type Optimizer, SGD } from '@gd/optim';
import { axpyInPlace, keep, manualSeed, randn, scope, type Tensor, tensor } from '@gd/tensor';
import { onLang, pick, t, tr } from '../i18n.js';
import { choice, el, fitWidth, fmt, numberField, onResize, readAll, section, show } from '../ui.js';
import { contourPlot, type Eigen, type Grid } from './surface.js';

interface Surface {
  f: (p: Variable, batch?: Variable[]) => Variable;
  box: [number, number, number, number];
  start: [number, number];
  labels: [string, string];
  lr: number;
  momentum: number;
  steps: number;
  /** where the minimum is, marked on the chart */
  minimum: [number, number];
  /** Adam's step is a distance per coordinate, not a multiple of the gradient: its own default. */
  adamLr: number;
  noise: number;
  /** the same function on plain numbers, for a finer contour grid */
  plain?: (x: number, y: number) => number;
}

const line = lineData(7);
const X = keep(tensor(line.x));
const Y = keep(tensor(line.y));

const SURFACES: Record<string, Surface> = {
  quadratic: {
    f: (p) => p.square().mul([0.5, 25]).sum(),
    box: [-3, 3, -1.5, 1.5],
    start: [-2.6, 1.1],
    labels: ['x', 'y'],
    // η·50 = 1.9: each step overshoots the narrow y direction (zig-zag) while x shrinks only 4 % a step
    lr: 0.038,
    momentum: 0.7,
    steps: 60,
    minimum: [0, 0],
    adamLr: 0.15,
    noise: 3,
    plain: (x, y) => 0.5 * x * x + 25 * y * y,
  },
  rosenbrock: {
    f: (p) => {
      const x = p.slice([0], [1]);
      const y = p.slice([1], [1]);
      return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
    },
    box: [-2, 2, -1, 3],
    start: [-1.5, 2.2],
    labels: ['x', 'y'],
    lr: 0.0015,
    momentum: 0.95,
    steps: 500,
    minimum: [1, 1],
    adamLr: 0.08,
    noise: 3,
    plain: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  },
  linefit: {
    f: (p, batch) => {
      const a = p.slice([0], [1]);
      const b = p.slice([1], [1]);
      const [x, y] = batch ?? [variable(X, { requiresGrad: false }), variable(Y, { requiresGrad: false })];
      return mse(a.mul(x!).add(b), y!);
    },
    box: [-1, 4.5, -1.5, 3.5],
    start: [-0.5, 3],
    labels: ['a', 'b'],
    lr: 0.1,
    momentum: 0.7,
    steps: 60,
    minimum: [line.exact.a, line.exact.b],
    adamLr: 0.15,
    noise: 0,
  },
};

function gridOf(s: Surface, size = 51): Grid {
  const [x1, x2, y1, y2] = s.box;
  if (s.plain) {
    // a finer grid, so a narrow valley is one smooth band rather than a chain of cells
    const n = 121;
    const values = new Float32Array(n * n);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) values[r * n + c] = s.plain(x1 + ((x2 - x1) * (c + 0.5)) / n, y1 + ((y2 - y1) * (r + 0.5)) / n);
    return { x1, x2, y1, y2, size: n, values };
  }
  const values = new Float32Array(size * size);
  scope(() => {
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const p = variable([x1 + ((x2 - x1) * (c + 0.5)) / size, y1 + ((y2 - y1) * (r + 0.5)) / size], { requiresGrad: false });
        values[r * size + c] = s.f(p).item();
      }
    }
  });
  return { x1, x2, y1, y2, size, values };
}

type Method = 'GD' | 'SGD' | 'momentum' | 'Adam' | 'Newton' | 'L-BFGS';

/**
 * The Hessian of a surface at a point, from autograd's second derivatives, and its eigenvalues
 * and unit eigenvectors (a symmetric 2×2 solved in closed form), the larger first.
 */
export function curvatureAt(s: Surface, at: [number, number]): Eigen {
  const h = scope(() => hessian((p: Variable) => s.f(p))(tensor(at)).toArray() as number[][]);
  const [a, b, d] = [h[0]![0]!, (h[0]![1]! + h[1]![0]!) / 2, h[1]![1]!];
  const mean = (a + d) / 2;
  const r = Math.hypot((a - d) / 2, b);
  const values: [number, number] = [mean + r, mean - r];
  const vector = (l: number): [number, number] => {
    // (b, l − a) or (l − d, b), whichever is longer (both are eigenvectors of l when b ≠ 0)
    const u: [number, number] = Math.abs(a - l) > Math.abs(d - l) ? [b, l - a] : [l - d, b];
    const n = Math.hypot(u[0], u[1]);
    if (n < 1e-12) return l === values[0] ? (a >= d ? [1, 0] : [0, 1]) : a >= d ? [0, 1] : [1, 0];
    return [u[0] / n, u[1] / n];
  };
  return { at, hessian: [a, b, b, d], values, vectors: [vector(values[0]), vector(values[1])] };
}

/** Where a path counts as diverged: far outside the chart, or no longer a number. */
function escaped(s: Surface, v: number[]): boolean {
  const [x1, x2, y1, y2] = s.box;
  const span = Math.max(x2 - x1, y2 - y1);
  return (
    !v.every(Number.isFinite) || v[0]! < x1 - 100 * span || v[0]! > x2 + 100 * span || v[1]! < y1 - 100 * span || v[1]! > y2 + 100 * span
  );
}

/** The path of one method: for the line fit SGD uses real minibatches; on the analytic surfaces it adds seeded gradient noise. */
function path(
  s: Surface,
  method: Method,
  lr: number,
  momentum: number,
  adamLr: number,
  steps: number,
  batchSize: number,
  noise: number,
): { points: Array<[number, number]>; diverged: boolean } {
  manualSeed(3);
  if (method === 'Newton' || method === 'L-BFGS') return secondOrderPath(s, method, steps);
  const p = variable(s.start);
  const opt: Optimizer =
    method === 'Adam' ? new Adam([p], { lr: adamLr }) : method === 'momentum' ? new SGD([p], { lr, momentum }) : new SGD([p], { lr });
  let diverged = false;
  const points: Array<[number, number]> = [[s.start[0], s.start[1]]];
  const data = batches([X, Y], { batchSize, seed: 3 });
  let it = data[Symbol.iterator]();
  for (let i = 0; i < steps; i++) {
    const ok = scope(() => {
      opt.zeroGrad();
      let batch: Variable[] | undefined;
      if (method === 'SGD' && s === SURFACES.linefit) {
        let next = it.next();
        if (next.done) {
          it = data[Symbol.iterator]();
          next = it.next();
        }
        batch = (next.value as Tensor[]).map((t) => variable(t, { requiresGrad: false }));
      }
      const loss = s.f(p, batch);
      loss.backward();
      if (method === 'SGD' && s !== SURFACES.linefit) axpyInPlace(p.grad!, randn([2]), noise);
      opt.step();
      const v = Array.from(p.value.data());
      if (escaped(s, v)) {
        diverged = true;
        return false;
      }
      points.push([v[0]!, v[1]!]);
      return true;
    });
    if (!ok) break;
  }
  opt.dispose();
  p.zeroGrad();
  p.value.dispose();
  return { points, diverged };
}

/**
 * Newton's method (full steps, lr 1) or L-BFGS (one iteration per step, strong-Wolfe line search)
 * from the surface's start; a path ends early once a step no longer moves the point, or when
 * Newton's H is not positive-definite (its step would not descend).
 */
function secondOrderPath(
  s: Surface,
  method: 'Newton' | 'L-BFGS',
  steps: number,
): { points: Array<[number, number]>; diverged: boolean; refused?: string } {
  const p = variable(s.start);
  const opt =
    method === 'Newton' ? new Newton([p], { lr: 1 }) : new LBFGS([p], { lr: 1, maxIter: 1, lineSearchFn: 'strongWolfe', historySize: 10 });
  const closure =
    method === 'Newton'
      ? () => s.f(p)
      : () => {
          opt.zeroGrad();
          const loss = s.f(p);
          loss.backward();
          return loss;
        };
  const points: Array<[number, number]> = [[s.start[0], s.start[1]]];
  let diverged = false;
  let refused: string | undefined;
  for (let i = 0; i < steps; i++) {
    try {
      scope(() => {
        opt.step(closure);
      });
    } catch (e) {
      refused = (e as Error).message;
      break;
    }
    const v = Array.from(p.value.data());
    if (escaped(s, v)) {
      diverged = true;
      break;
    }
    const last = points.at(-1)!;
    points.push([v[0]!, v[1]!]);
    if (Math.hypot(v[0]! - last[0], v[1]! - last[1]) < 1e-7) break;
  }
  opt.dispose();
  p.zeroGrad();
  p.value.dispose();
  return { points, diverged, refused };
}

export function optimizersLesson(): void {
  const s = section(
    'lesson-optimizers',
    tr((m) => m.opt.title),
    el(
      'p',
      {},
      tr((m) => m.opt.p1),
    ),
    el(
      'p',
      { class: 'note' },
      tr((m) => m.opt.p2),
    ),
    el(
      'p',
      {},
      tr((m) => m.opt.p3),
    ),
  );
  const [surfL, surf] = choice(
    tr((m) => m.opt.surface),
    'opt-surface',
    Object.keys(SURFACES).map((k) => [k, tr((m) => pick(m.opt.surfaces, k))]),
  );
  const q = SURFACES.quadratic!;
  const lr = numberField(
    tr((m) => m.opt.lr),
    'opt-lr',
    String(q.lr),
    { what: (m) => m.opt.lrWhat, min: 0, above: true, max: 100 },
  );
  const beta = numberField(
    tr((m) => m.opt.beta),
    'opt-momentum',
    String(q.momentum),
    { what: (m) => m.opt.betaWhat, min: 0, max: 0.999 },
  );
  const adamLr = numberField(
    tr((m) => m.opt.adamLr),
    'opt-adam-lr',
    String(q.adamLr),
    { what: (m) => m.opt.adamLrWhat, min: 0, above: true, max: 100 },
  );
  const steps = numberField(
    tr((m) => m.opt.steps),
    'opt-steps',
    String(q.steps),
    {
      what: (m) => m.opt.stepsWhat,
      min: 1,
      max: 2000,
      integer: true,
      maxReason: (m) => m.opt.stepsWhy,
    },
  );
  const bs = numberField(
    tr((m) => m.opt.batch),
    'opt-batch',
    '10',
    {
      what: (m) => m.opt.batchWhat,
      min: 1,
      max: line.x.length,
      integer: true,
      maxReason: (m) => m.opt.batchWhy(line.x.length),
    },
  );
  const noise = numberField(
    tr((m) => m.opt.noise),
    'opt-noise',
    String(q.noise),
    {
      what: (m) => m.opt.noiseWhat,
      min: 0,
      max: 1000,
    },
  );
  const run = el(
    'button',
    { id: 'opt-run', type: 'button' },
    tr((m) => m.opt.run),
  );
  const out = el('div', { id: 'opt-output' });
  // the learning-rate bound 2/λ_max at the chosen point, beside the step it bounds
  const bound = el('span', { id: 'opt-bound', class: 'note', 'aria-live': 'polite' });
  const at = el('input', { id: 'opt-at', type: 'range', min: '0', max: '60', step: '1', value: '0' });
  const atLabel = el(
    'label',
    { for: 'opt-at' },
    tr((m) => m.opt.at),
    at,
  );
  s.append(
    el(
      'div',
      { class: 'controls' },
      surfL,
      el('div', { class: 'with-bound' }, lr.label, bound),
      beta.label,
      adamLr.label,
      steps.label,
      bs.label,
      noise.label,
      run,
    ),
    el('div', { class: 'controls' }, atLabel),
    out,
  );
  surf.addEventListener('change', () => {
    const sf = SURFACES[surf.value]!;
    lr.input.value = String(sf.lr);
    beta.input.value = String(sf.momentum);
    adamLr.input.value = String(sf.adamLr);
    steps.input.value = String(sf.steps);
    noise.input.value = String(sf.noise);
    for (const f of [lr, beta, adamLr, steps, noise]) f.read();
    go();
  });
  type Run = { m: Method; points: Array<[number, number]>; diverged: boolean; refused?: string };
  let last: { runs: Run[]; sf: Surface; grid: Grid } | undefined;
  const go = () => {
    const values = readAll(lr, beta, adamLr, steps, bs, noise);
    if (!values) return;
    const [lrV, betaV, adamV, stepsV, bsV, noiseV] = values as [number, number, number, number, number, number];
    const sf = SURFACES[surf.value]!;
    const methods: Method[] = ['GD', 'SGD', 'momentum', 'Adam', 'Newton', 'L-BFGS'];
    const runs: Run[] = methods.map((m) => ({ m, ...path(sf, m, lrV, betaV, adamV, stepsV, bsV, noiseV) }));
    // the paths, for anyone (or any test) who wants the numbers behind the picture
    out.dataset.paths = JSON.stringify(Object.fromEntries(runs.map((r) => [r.m, r.points])));
    last = { runs, sf, grid: gridOf(sf) };
    at.max = String(runs[0]!.points.length - 1);
    if (Number(at.value) > Number(at.max)) at.value = at.max;
    draw();
  };
  /** Draws the last run: the paths, H's eigen-directions at the chosen point of GD's path, the bound 2/λ_max. */
  const draw = () => {
    if (!last) return;
    const { runs, sf, grid } = last;
    const msg = t().opt;
    const named = (m: Method) => pick(msg.methods, m);
    const k = Math.min(Number(at.value), runs[0]!.points.length - 1);
    const point = runs[0]!.points[k]!;
    const eig = curvatureAt(sf, point);
    out.dataset.eigen = JSON.stringify(eig);
    const lrV = Number(lr.input.value);
    const lmax = eig.values[0];
    const limit = lmax > 0 ? 2 / lmax : Number.POSITIVE_INFINITY;
    show(
      bound,
      lmax > 0 ? msg.bound(fmt(limit), fmt(lmax, 2)) : msg.noBound,
      lrV > limit ? el('span', { id: 'opt-bound-note', class: 'error' }, msg.above(String(lrV), fmt(Math.abs(1 - lrV * lmax), 2))) : null,
    );
    // the path ending nearest the minimum is drawn last, on top: the one that gets there is never hidden
    const paths = runs.map((r) => ({
      name: r.diverged ? msg.divergedName(named(r.m)) : named(r.m),
      points: r.points,
      key: r.m,
      z: r.diverged ? Number.NEGATIVE_INFINITY : -Math.hypot(r.points.at(-1)![0] - sf.minimum[0], r.points.at(-1)![1] - sf.minimum[1]),
    }));
    show(
      out,
      contourPlot(grid, paths, sf.labels, fitWidth(out, 560), { name: msg.minimum, at: sf.minimum }, eig),
      el(
        'p',
        { class: 'note', id: 'opt-eigen' },
        msg.eigen(k, fmt(eig.values[0], 2), fmt(eig.values[1], 2), fmt(eig.values[0] / Math.max(Math.abs(eig.values[1]), 1e-12), 1)),
      ),
      el(
        'p',
        { class: 'note', id: 'opt-summary' },
        runs
          .map((r) =>
            r.diverged
              ? msg.divergedAfter(named(r.m), r.points.length - 1)
              : r.refused
                ? msg.refused(named(r.m), r.points.length - 1)
                : msg.endsAt(named(r.m), r.points.at(-1)![0].toFixed(3), r.points.at(-1)![1].toFixed(3)),
          )
          .join(msg.sep),
      ),
    );
  };
  at.addEventListener('input', draw);
  lr.input.addEventListener('input', () => {
    if (lr.input.getAttribute('aria-invalid') !== 'true') draw();
  });
  run.addEventListener('click', go);
  onResize(draw);
  // the paths are seeded: drawn again in the new words, they are the same paths
  onLang(draw);
  go();
}
