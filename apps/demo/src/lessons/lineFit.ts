// Lesson 3 (docs/tutorial.md §2.2–2.3): gradient descent on a line fit, with the three convergence criteria.
import { fitLine, lineData } from '@gd/lessons';
import * as Plot from '@observablehq/plot';
import { type Messages, onLang, pick, t, tr, trAttr } from '../i18n.js';
import {
  type Checked,
  chart,
  checkNumber,
  choice,
  el,
  fitWidth,
  flag,
  fmt,
  libraryError,
  live,
  numberField,
  onResize,
  readAll,
  section,
  show,
} from '../ui.js';
import { contourPlot, mseGrid } from './surface.js';

export function lineFitLesson(): void {
  const s = section(
    'lesson-line-fit',
    tr((m) => m.fit.title),
    el(
      'p',
      {},
      tr((m) => m.fit.p1),
      el('span', { class: 'formula' }, "θ' = θ − η·∇θ"),
      tr((m) => m.fit.p1mid),
      el('span', { class: 'formula' }, '∂L/∂a = (2/n) Σ (ŷ − y)·x,  ∂L/∂b = (2/n) Σ (ŷ − y)'),
      tr((m) => m.fit.p1end),
    ),
    el(
      'p',
      { class: 'note', id: 'fit-erratum' },
      tr((m) => m.fit.erratum),
    ),
    el(
      'p',
      {},
      tr((m) => m.fit.p2),
    ),
  );
  const data = lineData(42);
  const grid = mseGrid(data, -1, 4.5, -1.5, 3.5);
  const lr = numberField(
    tr((m) => m.fit.lr),
    'fit-lr',
    '0.1',
    { what: (m) => m.fit.lrWhat, min: 0, above: true, max: 100 },
  );
  const a0 = numberField(
    tr((m) => m.fit.a),
    'fit-a',
    '-0.5',
    { what: (m) => m.fit.aWhat, min: -1000, max: 1000 },
  );
  const b0 = numberField(
    tr((m) => m.fit.b),
    'fit-b',
    '3',
    { what: (m) => m.fit.bWhat, min: -1000, max: 1000 },
  );
  const [critL, crit] = choice(
    tr((m) => m.fit.stopWhen),
    'fit-criterion',
    ['loss-tolerance', 'grad-tolerance', 'max-iterations'].map((k) => [k, tr((m) => pick(m.fit.criteria, k))]),
  );
  // a run is at most a million iterations, done in chunks between which the page stays live
  const MAX_ITERATIONS = 1_000_000;
  // ~0.1 s of work per chunk on a slow machine
  const CHUNK = 2_000;
  const thresholdRule = () =>
    crit.value === 'max-iterations'
      ? { what: (m: Messages) => m.fit.iterationsWhat, min: 1, max: MAX_ITERATIONS, integer: true }
      : { what: (m: Messages) => m.fit.thresholdWhat, min: 0, above: true, max: 1e6 };
  const threshold = el('input', { id: 'fit-threshold', type: 'text', inputmode: 'decimal', autocomplete: 'off', value: '1e-8' });
  threshold.classList.add('num');
  const th: Checked<number> = {
    label: el(
      'label',
      { for: 'fit-threshold' },
      tr((m) => m.fit.threshold),
      threshold,
    ),
    input: threshold,
    read: () => {
      const r = checkNumber(threshold.value, thresholdRule());
      flag(threshold, typeof r === 'string' ? r : null);
      return typeof r === 'number' ? r : undefined;
    },
  };
  threshold.addEventListener('input', th.read);
  onLang(() => {
    if (threshold.getAttribute('aria-invalid') === 'true') th.read();
  });
  const run = el(
    'button',
    { id: 'fit-run', type: 'button' },
    tr((m) => m.fit.run),
  );
  const stop = el(
    'button',
    { id: 'fit-stop', class: 'secondary', type: 'button' },
    tr((m) => m.fit.stop),
  );
  stop.disabled = true;
  const progress = el('p', { class: 'note', id: 'fit-progress', 'aria-live': 'polite' });
  const out = el('div', { id: 'fit-output' });
  s.append(el('div', { class: 'controls' }, lr.label, a0.label, b0.label, critL, th.label, run, stop), progress, out);
  let stopped = false;
  stop.addEventListener('click', () => {
    stopped = true;
  });
  crit.addEventListener('change', () => {
    threshold.value = crit.value === 'max-iterations' ? '25' : crit.value === 'grad-tolerance' ? '1e-3' : '1e-8';
    th.read();
  });

  const go = () => {
    if (run.disabled) return;
    const values = readAll(lr, a0, b0, th);
    if (!values) return;
    const [lrV, aV, bV, thr] = values as [number, number, number, number];
    const total = crit.value === 'max-iterations' ? thr : MAX_ITERATIONS;
    const opts = {
      lr: lrV,
      lossTolerance: crit.value === 'loss-tolerance' ? thr : undefined,
      gradTolerance: crit.value === 'grad-tolerance' ? thr : undefined,
    };
    // runs up to CHUNK iterations are one call, as in the tutorial; longer ones continue from
    // where the last chunk stopped (plain GD keeps no other state), yielding to the page in
    // between. |Δloss| needs two losses, so at a chunk's first iteration it cannot stop: such a
    // stop can come one iteration late, at a chunk boundary.
    let done = 0;
    let start: [number, number] = [aV, bV];
    let path: Array<[number, number]> = [start];
    stopped = false;
    run.disabled = true;
    stop.disabled = false;
    const chunk = () => {
      let r: ReturnType<typeof fitLine>;
      try {
        r = fitLine(data, crit.value, { ...opts, start, maxIterations: Math.min(CHUNK, total - done) });
      } catch (e) {
        run.disabled = false;
        stop.disabled = true;
        show(progress);
        const message = (e as Error).message;
        live(out, () => [libraryError(t().fit.runStopped, message, t().explain.run)]);
        return;
      }
      done += r.iterations;
      start = [r.a, r.b];
      path = path.concat(r.path.slice(1));
      // keep at most ~4000 points of a long path for drawing
      while (path.length > 4000) path = path.filter((_, i) => i % 2 === 0 || i === path.length - 1);
      if (r.reason === 'max-iterations' && done < total && !stopped) {
        const [d, n] = [done.toLocaleString('en'), total.toLocaleString('en')];
        live(progress, () => [t().fit.progress(d, n)]);
        setTimeout(chunk, 0);
        return;
      }
      run.disabled = false;
      stop.disabled = true;
      show(progress);
      draw({
        ...r,
        reason: stopped && r.reason === 'max-iterations' ? 'stopped' : r.reason,
        threshold: crit.value === 'max-iterations' ? thr.toLocaleString('en') : String(thr),
        iterations: done,
        path,
      });
    };
    chunk();
  };
  type Drawn = { reason: string; threshold: string; iterations: number; a: number; b: number; loss: number; path: Array<[number, number]> };
  let lastDrawn: Drawn | undefined;
  const draw = (r: Drawn) => {
    lastDrawn = r;
    const m = t();
    {
      const xs = [Math.min(...data.x), Math.max(...data.x)];
      show(
        out,
        el(
          'p',
          { class: 'readout' },
          m.fit.stopped,
          // the criterion that held, in the tutorial's words and with its threshold
          el(
            'strong',
            { id: 'fit-reason', 'data-reason': r.reason },
            r.reason === 'diverged' || r.reason === 'stopped' ? pick(m.fit.reasons, r.reason) : m.fit.reasonSaid(r.reason, r.threshold),
          ),
          m.fit.after,
          el('strong', { id: 'fit-iterations' }, String(r.iterations)),
          m.fit.summary(fmt(r.a), fmt(r.b), fmt(r.loss)),
          r.reason === 'diverged' ? el('span', { class: 'error' }, m.fit.diverged) : r.reason === 'stopped' ? m.fit.byYou : '',
        ),
        el(
          'div',
          { class: 'row' },
          chart({
            width: fitWidth(out, 460),
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
          contourPlot(grid, [{ name: m.fit.steps(r.iterations), points: r.path }], ['a', 'b'], fitWidth(out, 460), {
            name: m.fit.leastSquares,
            at: [data.exact.a, data.exact.b],
          }),
        ),
        el('p', { class: 'note' }, m.fit.note(fmt(data.exact.a), fmt(data.exact.b))),
      );
    }
  };
  run.addEventListener('click', go);
  onResize(() => lastDrawn && draw(lastDrawn));
  onLang(() => lastDrawn && out.querySelector('#fit-reason') && draw(lastDrawn));
  go();
  s.append(precisionNote(data));
}

/** The spacing between a number and the next one of its type: 2^(exponent − mantissa bits). */
const spacing = (x: number, bits: 23 | 52) => 2 ** (Math.floor(Math.log2(Math.abs(x))) - bits);

/**
 * The loss-tolerance criterion |Δloss| < 1e-10, from (0, 0) with η = 0.1, in float32 and in
 * float64 side by side: where each stops, and why they stop at different iterations.
 */
function precisionNote(data: ReturnType<typeof lineData>): HTMLElement {
  const opts = { lr: 0.1, lossTolerance: 1e-10 };
  const runs = [fitLine(data, 'loss-tolerance', opts), fitLine(data, 'loss-tolerance', { ...opts, dtype: 'float64' })];
  const [f32, f64] = runs as [ReturnType<typeof fitLine>, ReturnType<typeof fitLine>];
  const off = (r: ReturnType<typeof fitLine>) => Math.hypot(r.a - data.exact.a, r.b - data.exact.b);
  // one column per dtype, one row per quantity: three columns fit a phone's width
  const cells = (r: ReturnType<typeof fitLine>) => {
    const id = r.dtype === 'float32' ? 'f32' : 'f64';
    return [
      el('td', { id: `fit-${id}-iterations` }, String(r.iterations)),
      el('td', { id: `fit-${id}-change` }, r.lastChange === 0 ? '0' : r.lastChange.toExponential(2)),
      el('td', {}, fmt(r.loss, 8)),
      el('td', { id: `fit-${id}-off` }, off(r).toExponential(2)),
    ];
  };
  const c32 = cells(f32);
  const c64 = cells(f64);
  const rows = [1, 2, 3, 4].map((i) =>
    el(
      'tr',
      {},
      el(
        'th',
        { scope: 'row' },
        tr((m) => m.fit.cols[i]!),
      ),
      c32[i - 1]!,
      c64[i - 1]!,
    ),
  );
  const ulp32 = spacing(f32.loss, 23);
  const ulp64 = spacing(f64.loss, 52);
  const why = (m: Messages) =>
    f32.iterations === f64.iterations
      ? m.fit.same
      : m.fit.why({
          loss: fmt(f32.loss),
          ulp32: ulp32.toExponential(1),
          ulp64: ulp64.toExponential(1),
          zero: f32.lastChange === 0,
          n32: f32.iterations,
          n64: f64.iterations,
          nearer: off(f64) < off(f32),
        });
  return el(
    'div',
    { id: 'fit-precision' },
    el(
      'h3',
      {},
      tr((m) => m.fit.precisionTitle),
    ),
    el(
      'p',
      {},
      tr((m) => m.fit.precisionIntro),
    ),
    trAttr(
      // focusable, so a keyboard can scroll it where the screen is narrower than the table
      el(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'region' },
        el(
          'table',
          { class: 'values' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el(
                'th',
                { scope: 'col' },
                tr((m) => m.fit.cols[0]!),
              ),
              el('th', { scope: 'col' }, f32.dtype),
              el('th', { scope: 'col' }, f64.dtype),
            ),
          ),
          el('tbody', {}, ...rows),
        ),
      ),
      'aria-label',
      (m) => m.fit.precisionAria,
    ),
    el('p', { class: 'note', id: 'fit-precision-why' }, tr(why)),
  );
}
