// Lessons 1 and 2 (docs/tutorial.md §1.2): information content, entropy, cross-entropy and KL divergence.
import { crossEntropyOf, entropy, informationContent, klDivergenceOf } from '@gd/losses';
import { scope, tensor } from '@gd/tensor';
import * as Plot from '@observablehq/plot';
import { onLang, pick, t, tr, trAttr } from '../i18n.js';
import { chart, checkDistribution, choice, el, fitWidth, flag, fmt, libraryError, onResize, section, show } from '../ui.js';

const UNITS: Record<string, { base: number }> = {
  bits: { base: 2 },
  nats: { base: Math.E },
  hartleys: { base: 10 },
};

const PRESETS: Record<string, number[]> = {
  peaked: [0.05, 0.05, 0.8, 0.05, 0.05],
  flat: [0.2, 0.2, 0.2, 0.2, 0.2],
  'fair coin': [0.5, 0.5],
  'fair die': [1, 1, 1, 1, 1, 1].map((v) => v / 6),
  'uniform 4': [0.25, 0.25, 0.25, 0.25],
};

const CHART = { height: 220, marginLeft: 44, marginRight: 10, marginTop: 18, marginBottom: 32 };

type PlotElement = Element & {
  scale(name: string): { domain: string[]; bandwidth?: number; apply(v: unknown): number; invert?(v: number): number };
};

/** Outcome names in their own order (x1, x2, …, x10), not sorted as text. */
const outcomes = (n: number) => Array.from({ length: n }, (_, i) => `x${i + 1}`);

/** Room a label "0.80" needs above its bar, and a tick "x26" below it, in pixels. */
const LABEL_ROOM = 30;
const TICK_ROOM = 24;

/**
 * A bar chart of a distribution, labelled with P(x), what its axis shows; pressing a bar starts a
 * drag handled by the lesson. Each bar gets about 34 px up to the width available: where the bars
 * are narrower than a label, the labels are left off and every k-th outcome is named on the axis.
 */
function barChart(
  p: number[],
  bits: number[],
  avail: number,
  unit: string,
  onPress: (chart: PlotElement, e: PointerEvent) => void,
): PlotElement {
  const data = p.map((v, i) => ({ outcome: `x${i + 1}`, p: v, info: bits[i]! }));
  const width = Math.min(avail, Math.max(460, CHART.marginLeft + CHART.marginRight + 34 * p.length));
  const step = (width - CHART.marginLeft - CHART.marginRight) / p.length;
  const every = Math.ceil(TICK_ROOM / step);
  const names = outcomes(p.length);
  const c = chart({
    ...CHART,
    width,
    y: { domain: [0, 1], label: 'P(x)', grid: true },
    x: { label: null, domain: names, ticks: names.filter((_, i) => i % every === 0) },
    marks: [
      Plot.barY(data, {
        x: 'outcome',
        y: 'p',
        fill: '#2f6fdf',
        title: (d: { outcome: string; p: number; info: number }) =>
          `P(${d.outcome}) = ${fmt(d.p, 3)} · I(${d.outcome}) = ${Number.isFinite(d.info) ? fmt(d.info, 3) : '∞'} ${unit}`,
      }),
      ...(step >= LABEL_ROOM
        ? [
            Plot.text(data, {
              x: 'outcome',
              y: 'p',
              text: (d: { p: number }) => d.p.toFixed(2),
              dy: -8,
              fontSize: 11,
            }),
          ]
        : []),
      Plot.ruleY([0]),
    ],
  }) as unknown as PlotElement;
  c.setAttribute('id', 'info-chart');
  (c as unknown as HTMLElement).style.touchAction = 'none';
  c.addEventListener('pointerdown', (e) => onPress(c, e as PointerEvent));
  return c;
}

/** The chart's own coordinates of a pointer event (the SVG may be scaled on screen). */
function chartPoint(plot: Element, e: PointerEvent): [number, number] {
  const svg = (plot.tagName.toLowerCase() === 'svg' ? plot : plot.querySelector('svg')) as SVGSVGElement;
  const m = svg.getScreenCTM();
  if (!m) return [Number.NaN, Number.NaN];
  const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
  return [pt.x, pt.y];
}

/** The bar under x, through the chart's band scale, or −1. */
function barAt(plot: PlotElement, x: number): number {
  const sx = plot.scale('x');
  const step = (sx as { step?: number }).step ?? sx.bandwidth ?? 0;
  const pad = (step - (sx.bandwidth ?? 0)) / 2;
  return sx.domain.findIndex((d) => {
    const x0 = sx.apply(d);
    return x >= x0 - pad && x <= x0 + (sx.bandwidth ?? 0) + pad;
  });
}

/** Sets outcome i to v and rescales the others so the total stays 1. */
export function setProbability(q: number[], i: number, v: number): number[] {
  const rest = q.reduce((s, x, k) => (k === i ? s : s + x), 0);
  return q.map((x, k) => (k === i ? v : rest > 0 ? (x * (1 - v)) / rest : (1 - v) / (q.length - 1)));
}

export function informationLesson(): void {
  const s = section(
    'lesson-information',
    tr((m) => m.info.title),
    el(
      'p',
      {},
      tr((m) => m.info.p1),
      el('span', { class: 'formula' }, 'I(x) = −log_b P(x)'),
      tr((m) => m.info.p1end),
    ),
    el(
      'p',
      {},
      tr((m) => m.info.p2),
      el('span', { class: 'formula' }, 'H(X) = −Σ P(xᵢ) log_b P(xᵢ)'),
      tr((m) => m.info.p2end),
    ),
  );
  let p = [...PRESETS.peaked!];
  const [unitLabel, unit] = choice(
    tr((m) => m.info.unit),
    'info-unit',
    Object.keys(UNITS).map((k) => [k, tr((m) => pick(m.info.unitOptions, k))]),
  );
  const text = el('input', {
    id: 'info-probs',
    type: 'text',
    size: '36',
    value: p.join(', '),
  });
  trAttr(text, 'aria-label', (m) => m.info.probsAria);
  const presets = trAttr(el('div', { class: 'controls', role: 'group' }), 'aria-label', (m) => m.info.presets);
  for (const name of Object.keys(PRESETS)) {
    const b = el(
      'button',
      { class: 'secondary', type: 'button', 'data-preset': name },
      tr((m) => pick(m.info.presetNames, name)),
    );
    b.addEventListener('click', () => {
      p = [...PRESETS[name]!];
      text.value = p.map((v) => +v.toFixed(4)).join(', ');
      render();
    });
    presets.append(b);
  }
  const out = el('div', { id: 'info-output' });
  s.append(
    el(
      'div',
      { class: 'controls' },
      el(
        'label',
        { for: 'info-probs' },
        tr((m) => m.info.probs),
        text,
      ),
      unitLabel,
    ),
    presets,
    out,
  );
  // a drag keeps its bar from press to release, across the redraws it causes
  let drag: { i: number } | null = null;
  let current: PlotElement | null = null;
  let q: number[] = [];
  const dragTo = (e: PointerEvent) => {
    if (!drag || !current) return;
    const [, y] = chartPoint(current, e);
    const v = current.scale('y').invert!(y);
    if (!Number.isFinite(v)) return;
    p = setProbability(q, drag.i, Math.min(1, Math.max(0, v)));
    text.value = p.map((x) => +x.toFixed(3)).join(', ');
    flag(text, null);
    render();
  };
  window.addEventListener('pointermove', (e) => {
    if (drag) {
      e.preventDefault();
      dragTo(e);
    }
  });
  const release = () => {
    drag = null;
  };
  window.addEventListener('pointerup', release);
  window.addEventListener('pointercancel', release);

  const render = () => {
    const u = { ...UNITS[unit.value]!, name: pick(t().info.units, unit.value) };
    try {
      const r = scope(() => {
        const t = tensor(p);
        const q = t.div(t.sum());
        return {
          h: entropy(p, { base: u.base, normalize: true }),
          bits: Array.from(informationContent(q, { base: u.base }).data()),
          q: Array.from(q.data()),
        };
      });
      const { h, bits } = r;
      q = r.q;
      const max = Math.log(p.length) / Math.log(u.base);
      show(
        out,
        el(
          'p',
          { class: 'readout' },
          'H = ',
          el('strong', { id: 'entropy-value' }, `${fmt(h)} ${u.name}`),
          t().info.maximum(fmt(max), u.name),
        ),
        (current = barChart(q, bits, fitWidth(out, 1000), u.name, (plot, e) => {
          const [x] = chartPoint(plot, e);
          const i = barAt(plot, x);
          if (i < 0) return;
          e.preventDefault();
          drag = { i };
          dragTo(e);
        })),
        el(
          'p',
          { class: 'note', id: 'info-content' },
          t().info.contentOf(u.name),
          bits.map((b, i) => `x${i + 1} ${Number.isFinite(b) ? fmt(b, 2) : '∞'}`).join(' · '),
        ),
        el('p', { class: 'note' }, t().info.barsNote(u.name)),
      );
    } catch (e) {
      show(out, libraryError('', String((e as Error).message), t().explain.info));
    }
  };
  const check = () => {
    const r = checkDistribution(text.value, t().info.distribution);
    flag(text, typeof r === 'string' ? r : null);
    return r;
  };
  text.addEventListener('input', () => {
    const r = check();
    // a typo keeps the last good chart on screen; the message beside the field says what to fix
    if (typeof r === 'string') return;
    p = r;
    render();
  });
  onLang(() => {
    if (text.getAttribute('aria-invalid') === 'true') check();
    render();
  });
  unit.addEventListener('change', render);
  onResize(render);
  render();
}

export function crossEntropyLesson(): void {
  const s = section(
    'lesson-cross-entropy',
    tr((m) => m.ce.title),
    el(
      'p',
      {},
      tr((m) => m.ce.p1),
      el('span', { class: 'formula' }, 'H(Y, Ŷ) = −Σ Yᵢ log Ŷᵢ'),
      tr((m) => m.ce.p1end),
    ),
  );
  const p = el('input', { id: 'ce-true', type: 'text', size: '24', value: '0.7, 0.2, 0.1' });
  const q = el('input', { id: 'ce-pred', type: 'text', size: '24', value: '0.4, 0.4, 0.2' });
  const mix = el('input', { id: 'ce-mix', type: 'range', min: '0', max: '1', step: '0.01', value: '0' });
  const out = el('div', { id: 'ce-output' });
  s.append(
    el(
      'div',
      { class: 'controls' },
      el(
        'label',
        { for: 'ce-true' },
        tr((m) => m.ce.trueY),
        p,
      ),
      el(
        'label',
        { for: 'ce-pred' },
        tr((m) => m.ce.predicted),
        q,
      ),
      el(
        'label',
        { for: 'ce-mix' },
        tr((m) => m.ce.mix),
        mix,
      ),
    ),
    out,
  );
  const render = () => {
    const m = t();
    try {
      const ry = checkDistribution(p.value, 'Y');
      const rt = checkDistribution(q.value, 'Ŷ');
      flag(p, typeof ry === 'string' ? ry : null);
      flag(q, typeof rt === 'string' ? rt : typeof ry !== 'string' && ry.length !== rt.length ? m.ce.mismatch(ry.length, rt.length) : null);
      if (typeof ry === 'string' || typeof rt === 'string' || ry.length !== rt.length) return;
      const y = ry;
      const t = rt;
      const a = Number(mix.value);
      const yhat = scope(() => {
        const ty = tensor(y);
        const tq = tensor(t);
        return Array.from(
          tq
            .div(tq.sum())
            .mul(1 - a)
            .add(ty.div(ty.sum()).mul(a))
            .data(),
        );
      });
      const opts = { base: 2, normalize: true };
      const h = entropy(y, opts);
      const ce = crossEntropyOf(y, yhat, opts);
      const kl = klDivergenceOf(y, yhat, opts);
      const data = y.flatMap((v, i) => [
        { outcome: `x${i + 1}`, who: m.ce.whoTrue, p: v / y.reduce((s_, x) => s_ + x, 0) },
        { outcome: `x${i + 1}`, who: m.ce.whoPredicted, p: yhat[i]! },
      ]);
      show(
        out,
        el(
          'table',
          { class: 'values' },
          el('tr', {}, el('th', {}, 'H(Y)'), el('th', {}, 'H(Y, Ŷ)'), el('th', {}, 'KL(Y ‖ Ŷ)'), el('th', {}, 'H(Y) + KL')),
          el(
            'tr',
            {},
            el('td', { id: 'ce-h' }, `${fmt(h)} ${m.ce.bits}`),
            el('td', { id: 'ce-ce' }, `${fmt(ce)} ${m.ce.bits}`),
            el('td', { id: 'ce-kl' }, `${fmt(kl)} ${m.ce.bits}`),
            el('td', {}, `${fmt(h + kl)} ${m.ce.bits}`),
          ),
        ),
        (() => {
          // an outcome Y gives weight but Ŷ gives none: −Y·log 0 is +∞, and so are H(Y, Ŷ) and KL
          const zero = y.findIndex((v, i) => v > 0 && yhat[i] === 0);
          return zero < 0 ? null : el('p', { class: 'note', id: 'ce-infinite' }, m.ce.infinite(`x${zero + 1}`));
        })(),
        chart({
          width: fitWidth(out, 460),
          height: 200,
          y: { domain: [0, 1], grid: true, label: m.ce.probability },
          fx: { label: null, domain: outcomes(y.length) },
          x: { axis: null },
          color: { legend: true, range: ['#2f6fdf', '#e08a1e'] },
          marks: [Plot.barY(data, { fx: 'outcome', x: 'who', y: 'p', fill: 'who' }), Plot.ruleY([0])],
        }) as Element,
      );
    } catch (e) {
      show(out, libraryError('', String((e as Error).message), m.explain.info));
    }
  };
  for (const i of [p, q, mix]) i.addEventListener('input', render);
  onLang(render);
  onResize(render);
  render();
}
