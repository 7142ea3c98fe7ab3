// Lesson 4 (seed §2.4): plain GD, SGD, momentum and Adam on the same loss surfaces.
import { type Variable, variable } from '@gd/autograd';
import { lineData } from '@gd/lessons';
import { mse } from '@gd/losses';
import { Adam, batches, type Optimizer, SGD } from '@gd/optim';
import { axpyInPlace, keep, manualSeed, randn, scope, type Tensor, tensor } from '@gd/tensor';
import { choice, el, field, section, show } from '../ui.js';
import { contourPlot, type Grid } from './surface.js';

interface Surface {
  name: string;
  f: (p: Variable, batch?: Variable[]) => Variable;
  box: [number, number, number, number];
  start: [number, number];
  labels: [string, string];
  lr: number;
  /** Adam's step is a distance per coordinate, not a multiple of the gradient: its own default. */
  adamLr: number;
  noise: number;
}

const line = lineData(7);
const X = keep(tensor(line.x));
const Y = keep(tensor(line.y));

const SURFACES: Record<string, Surface> = {
  quadratic: {
    name: 'ill-conditioned quadratic ½(x² + 20y²)',
    f: (p) => p.square().mul([0.5, 10]).sum(),
    box: [-3, 3, -1.5, 1.5],
    start: [-2.6, 1.1],
    labels: ['x', 'y'],
    lr: 0.045,
    adamLr: 0.15,
    noise: 0.6,
  },
  rosenbrock: {
    name: 'Rosenbrock (1 − x)² + 100(y − x²)²',
    f: (p) => {
      const x = p.slice([0], [1]);
      const y = p.slice([1], [1]);
      return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
    },
    box: [-2, 2, -1, 3],
    start: [-1.5, 2.2],
    labels: ['x', 'y'],
    lr: 0.0015,
    adamLr: 0.05,
    noise: 3,
  },
  linefit: {
    name: 'line-fit MSE over (a, b)',
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
    adamLr: 0.15,
    noise: 0,
  },
};

function gridOf(s: Surface, size = 51): Grid {
  const [x1, x2, y1, y2] = s.box;
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

type Method = 'GD' | 'SGD' | 'momentum' | 'Adam';

/** The path of one method: for the line fit SGD uses real minibatches; on the analytic surfaces it adds seeded gradient noise. */
function path(
  s: Surface,
  method: Method,
  lr: number,
  adamLr: number,
  steps: number,
  batchSize: number,
  noise: number,
): Array<[number, number]> {
  manualSeed(3);
  const p = variable(s.start);
  const opt: Optimizer =
    method === 'Adam' ? new Adam([p], { lr: adamLr }) : method === 'momentum' ? new SGD([p], { lr, momentum: 0.9 }) : new SGD([p], { lr });
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
      if (!v.every(Number.isFinite)) return false;
      points.push([v[0]!, v[1]!]);
      return true;
    });
    if (!ok) break;
  }
  opt.dispose();
  p.zeroGrad();
  p.value.dispose();
  return points;
}

export function optimizersLesson(): void {
  const s = section(
    'lesson-optimizers',
    '4. GD, SGD, momentum and Adam',
    el(
      'p',
      {},
      'Plain gradient descent follows the steepest slope and zig-zags in narrow valleys. SGD computes each step on a few random samples: cheap, and its path wanders like a drunkard, but its overall direction is right. Momentum accumulates speed along the valley; Adam scales each coordinate by its own gradient history.',
    ),
    el(
      'p',
      { class: 'note' },
      'On the line fit, SGD uses real minibatches of the points. The two analytic surfaces have no samples, so there SGD’s sampling noise is imitated by adding seeded Gaussian noise σ to each gradient.',
    ),
  );
  const [surfL, surf] = choice(
    'surface',
    'opt-surface',
    Object.entries(SURFACES).map(([k, v]) => [k, v.name]),
  );
  const [lrL, lr] = field('step η (GD, SGD, momentum)', 'opt-lr', String(SURFACES.quadratic!.lr), { step: 'any' });
  const [adamL, adamLr] = field('Adam step', 'opt-adam-lr', String(SURFACES.quadratic!.adamLr), { step: 'any' });
  const [stepsL, steps] = field('steps', 'opt-steps', '60', { min: '1', step: '1' });
  const [bsL, bs] = field('SGD batch (line fit)', 'opt-batch', '10', { min: '1', step: '1' });
  const [noiseL, noise] = field('SGD gradient noise σ (other surfaces)', 'opt-noise', String(SURFACES.quadratic!.noise), { step: 'any' });
  const run = el('button', { id: 'opt-run', type: 'button' }, 'Run all four');
  const out = el('div', { id: 'opt-output' });
  s.append(el('div', { class: 'controls' }, surfL, lrL, adamL, stepsL, bsL, noiseL, run), out);
  surf.addEventListener('change', () => {
    const sf = SURFACES[surf.value]!;
    lr.value = String(sf.lr);
    adamLr.value = String(sf.adamLr);
    noise.value = String(sf.noise);
  });
  const go = () => {
    const sf = SURFACES[surf.value]!;
    const methods: Method[] = ['GD', 'SGD', 'momentum', 'Adam'];
    const paths = methods.map((m) => ({
      name: m,
      points: path(sf, m, Number(lr.value), Number(adamLr.value), Number(steps.value), Number(bs.value), Number(noise.value)),
    }));
    show(
      out,
      contourPlot(gridOf(sf), paths, sf.labels),
      el(
        'p',
        { class: 'note', id: 'opt-summary' },
        paths.map((p) => `${p.name}: ends at (${p.points.at(-1)![0].toFixed(3)}, ${p.points.at(-1)![1].toFixed(3)})`).join(' · '),
      ),
    );
  };
  run.addEventListener('click', go);
  go();
}
