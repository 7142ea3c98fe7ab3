// Lesson 3 (seed §2.2–2.3): gradient descent on a line fit, with the three convergence criteria.
import { fitLine, lineData } from '@gd/lessons';
import * as Plot from '@observablehq/plot';
import { choice, el, field, fmt, section, show } from '../ui.js';
import { contourPlot, mseGrid } from './surface.js';

export function lineFitLesson(): void {
  const s = section(
    'lesson-line-fit',
    '3. Gradient descent on a line fit',
    el(
      'p',
      {},
      'Fit ŷ = a·x + b to the points by minimising the mean squared error. Gradient descent starts at (a, b) and repeats ',
      el('span', { class: 'formula' }, "θ' = θ − η·∇θ"),
      ', with ',
      el('span', { class: 'formula' }, '∂L/∂a = (2/n) Σ (ŷ − y)·x,  ∂L/∂b = (2/n) Σ (ŷ − y)'),
      '.',
    ),
    el(
      'p',
      {},
      'It stops when the loss changes less than a threshold, when the gradient’s norm falls below a threshold, or after a maximum number of iterations. Too large a step η makes it diverge — and gd catches that.',
    ),
  );
  const data = lineData(42);
  const grid = mseGrid(data, -1, 4.5, -1.5, 3.5);
  const [lrL, lr] = field('step η', 'fit-lr', '0.1', { step: '0.05', min: '0' });
  const [aL, a0] = field('start a', 'fit-a', '-0.5', { step: '0.5' });
  const [bL, b0] = field('start b', 'fit-b', '3', { step: '0.5' });
  const [critL, crit] = choice('stop when', 'fit-criterion', [
    ['loss-tolerance', '|Δloss| < threshold'],
    ['grad-tolerance', '‖∇‖₂ < threshold'],
    ['max-iterations', 'iterations reach'],
  ]);
  const [thL, threshold] = field('threshold', 'fit-threshold', '1e-8', { step: 'any' });
  const run = el('button', { id: 'fit-run', type: 'button' }, 'Run gradient descent');
  const out = el('div', { id: 'fit-output' });
  s.append(el('div', { class: 'controls' }, lrL, aL, bL, critL, thL, run), out);
  crit.addEventListener('change', () => {
    threshold.value = crit.value === 'max-iterations' ? '25' : crit.value === 'grad-tolerance' ? '1e-3' : '1e-8';
  });

  const go = () => {
    const t = Number(threshold.value);
    const opts = {
      lr: Number(lr.value),
      start: [Number(a0.value), Number(b0.value)] as [number, number],
      lossTolerance: crit.value === 'loss-tolerance' ? t : undefined,
      gradTolerance: crit.value === 'grad-tolerance' ? t : undefined,
      maxIterations: crit.value === 'max-iterations' ? t : 20_000,
    };
    try {
      const r = fitLine(data, crit.value, opts);
      const xs = [Math.min(...data.x), Math.max(...data.x)];
      show(
        out,
        el(
          'p',
          { class: 'readout' },
          'stopped: ',
          el('strong', { id: 'fit-reason' }, r.reason),
          ' after ',
          el('strong', { id: 'fit-iterations' }, String(r.iterations)),
          ` iterations · a = ${fmt(r.a)}, b = ${fmt(r.b)}, loss = ${fmt(r.loss)}`,
          r.reason === 'diverged'
            ? el('span', { class: 'error' }, ' — the loss blew up; the parameters were put back to their last finite values.')
            : '',
        ),
        el(
          'div',
          { class: 'row' },
          Plot.plot({
            width: 460,
            height: 380,
            // the axes follow the data, not a diverging line
            y: { label: 'y', domain: [Math.min(...data.y) - 0.5, Math.max(...data.y) + 0.5] },
            x: { label: 'x', domain: [Math.min(...data.x) - 0.1, Math.max(...data.x) + 0.1] },
            clip: true,
            marks: [
              Plot.dot(
                data.x.map((x, i) => [x, data.y[i]!]),
                { x: (d: number[]) => d[0], y: (d: number[]) => d[1], r: 2.5, fill: '#555' },
              ),
              Plot.line(
                xs.map((x) => [x, r.a * x + r.b]),
                { x: (d: number[]) => d[0], y: (d: number[]) => d[1], stroke: '#e03c31', strokeWidth: 2.5 },
              ),
            ],
          }) as Element,
          contourPlot(grid, [{ name: `${r.iterations} steps`, points: r.path }], ['a', 'b']),
        ),
        el(
          'p',
          { class: 'note' },
          `Least squares gives a = ${fmt(data.exact.a)}, b = ${fmt(data.exact.b)}. Right: the MSE surface over (a, b), darker is lower, with the descent path.`,
        ),
      );
    } catch (e) {
      show(out, el('p', { class: 'error' }, String((e as Error).message)));
    }
  };
  run.addEventListener('click', go);
  go();
}
