// Lessons 1 and 2 (seed §1.2): information content, entropy, cross-entropy and KL divergence.
import { crossEntropyOf, entropy, informationContent, klDivergenceOf } from '@gd/losses';
import { scope, tensor } from '@gd/tensor';
import * as Plot from '@observablehq/plot';
import { choice, el, fmt, parseList, section, show } from '../ui.js';

const UNITS: Record<string, { base: number; name: string }> = {
  bits: { base: 2, name: 'bits' },
  nats: { base: Math.E, name: 'nats' },
  dits: { base: 10, name: 'dits' },
};

const PRESETS: Record<string, number[]> = {
  peaked: [0.05, 0.05, 0.8, 0.05, 0.05],
  flat: [0.2, 0.2, 0.2, 0.2, 0.2],
  'fair coin': [0.5, 0.5],
  'fair die': [1, 1, 1, 1, 1, 1].map((v) => v / 6),
  'uniform 4': [0.25, 0.25, 0.25, 0.25],
};

const CHART = { width: 460, height: 220, marginLeft: 44, marginRight: 10, marginTop: 16, marginBottom: 32 };

/** A bar chart of a distribution whose bars can be dragged to new heights. */
function barChart(p: number[], bits: number[], onDrag: (i: number, v: number) => void): Element {
  const data = p.map((v, i) => ({ outcome: `x${i + 1}`, p: v, info: bits[i]! }));
  const chart = Plot.plot({
    ...CHART,
    y: { domain: [0, 1], label: 'P(x)', grid: true },
    x: { label: null },
    marks: [
      Plot.barY(data, { x: 'outcome', y: 'p', fill: '#2f6fdf' }),
      Plot.text(data, { x: 'outcome', y: 'p', text: (d: { info: number }) => `${fmt(d.info, 2)}`, dy: -8, fontSize: 11 }),
      Plot.ruleY([0]),
    ],
  });
  let dragging = false;
  const update = (e: PointerEvent) => {
    const r = (chart as Element).getBoundingClientRect();
    const plotW = CHART.width - CHART.marginLeft - CHART.marginRight;
    const plotH = CHART.height - CHART.marginTop - CHART.marginBottom;
    const i = Math.floor(((e.clientX - r.left - CHART.marginLeft) / plotW) * p.length);
    const v = 1 - (e.clientY - r.top - CHART.marginTop) / plotH;
    if (i >= 0 && i < p.length) onDrag(i, Math.min(1, Math.max(0, v)));
  };
  chart.addEventListener('pointerdown', (e) => {
    dragging = true;
    update(e as PointerEvent);
  });
  chart.addEventListener('pointermove', (e) => dragging && update(e as PointerEvent));
  window.addEventListener('pointerup', () => {
    dragging = false;
  });
  return chart as Element;
}

export function informationLesson(): void {
  const s = section(
    'lesson-information',
    '1. Information content and entropy',
    el(
      'p',
      {},
      'The less likely an outcome, the more information it carries: ',
      el('span', { class: 'formula' }, 'I(x) = −log_b P(x)'),
      '.',
    ),
    el(
      'p',
      {},
      'Entropy is the expected information, the uncertainty of the whole system: ',
      el('span', { class: 'formula' }, 'H(X) = −Σ P(xᵢ) log_b P(xᵢ)'),
      '. It is largest, log_b N, when all N outcomes are equally likely.',
    ),
  );
  let p = [...PRESETS.peaked!];
  const [unitLabel, unit] = choice('unit', 'info-unit', [
    ['bits', 'bits (base 2)'],
    ['nats', 'nats (base e)'],
    ['dits', 'dits (base 10)'],
  ]);
  const text = el('input', {
    id: 'info-probs',
    type: 'text',
    size: '36',
    value: p.join(', '),
    'aria-label': 'probabilities, comma separated',
  });
  const presets = el('div', { class: 'controls', role: 'group', 'aria-label': 'presets' });
  for (const name of Object.keys(PRESETS)) {
    const b = el('button', { class: 'secondary', type: 'button', 'data-preset': name }, name);
    b.addEventListener('click', () => {
      p = [...PRESETS[name]!];
      text.value = p.map((v) => +v.toFixed(4)).join(', ');
      render();
    });
    presets.append(b);
  }
  const out = el('div', { id: 'info-output' });
  s.append(
    el('div', { class: 'controls' }, el('label', { for: 'info-probs' }, 'P(x₁), P(x₂), … (rescaled to sum to 1)', text), unitLabel),
    presets,
    out,
  );

  const render = () => {
    const u = UNITS[unit.value]!;
    try {
      const { h, bits, q } = scope(() => {
        const t = tensor(p);
        const q = t.div(t.sum());
        return {
          h: entropy(p, { base: u.base, normalize: true }),
          bits: Array.from(informationContent(q, { base: u.base }).data()),
          q: Array.from(q.data()),
        };
      });
      const max = Math.log(p.length) / Math.log(u.base);
      show(
        out,
        el(
          'p',
          { class: 'readout' },
          'H = ',
          el('strong', { id: 'entropy-value' }, `${fmt(h)} ${u.name}`),
          `   ·   maximum log_b N = ${fmt(max)} ${u.name}`,
        ),
        barChart(q, bits, (i, v) => {
          p = q.map((x, k) => (k === i ? v : x));
          text.value = p.map((x) => +x.toFixed(3)).join(', ');
          render();
        }),
        el(
          'p',
          { class: 'note' },
          `Labels on the bars: the information content of each outcome, in ${u.name}. Drag a bar or type to change the distribution.`,
        ),
      );
    } catch (e) {
      show(out, el('p', { class: 'error' }, String((e as Error).message)));
    }
  };
  text.addEventListener('input', () => {
    p = parseList(text.value);
    render();
  });
  unit.addEventListener('change', render);
  render();
}

export function crossEntropyLesson(): void {
  const s = section(
    'lesson-cross-entropy',
    '2. Cross-entropy',
    el(
      'p',
      {},
      'Cross-entropy measures how far a predicted distribution Ŷ is from the true Y: ',
      el('span', { class: 'formula' }, 'H(Y, Ŷ) = −Σ Yᵢ log Ŷᵢ'),
      '. It equals the entropy of Y plus the KL divergence, so it is smallest when the prediction matches.',
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
      el('label', { for: 'ce-true' }, 'true Y', p),
      el('label', { for: 'ce-pred' }, 'predicted Ŷ', q),
      el('label', { for: 'ce-mix' }, 'move Ŷ toward Y', mix),
    ),
    out,
  );
  const render = () => {
    try {
      const y = parseList(p.value);
      const t = parseList(q.value);
      if (y.length !== t.length) throw new Error(`Y has ${y.length} outcomes and Ŷ has ${t.length}`);
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
        { outcome: `x${i + 1}`, who: 'Y (true)', p: v / y.reduce((s_, x) => s_ + x, 0) },
        { outcome: `x${i + 1}`, who: 'Ŷ (predicted)', p: yhat[i]! },
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
            el('td', { id: 'ce-h' }, `${fmt(h)} bits`),
            el('td', { id: 'ce-ce' }, `${fmt(ce)} bits`),
            el('td', { id: 'ce-kl' }, `${fmt(kl)} bits`),
            el('td', {}, `${fmt(h + kl)} bits`),
          ),
        ),
        Plot.plot({
          width: 460,
          height: 200,
          y: { domain: [0, 1], grid: true, label: 'probability' },
          fx: { label: null },
          x: { axis: null },
          color: { legend: true, range: ['#2f6fdf', '#e08a1e'] },
          marks: [Plot.barY(data, { fx: 'outcome', x: 'who', y: 'p', fill: 'who' }), Plot.ruleY([0])],
        }) as Element,
      );
    } catch (e) {
      show(out, el('p', { class: 'error' }, String((e as Error).message)));
    }
  };
  for (const i of [p, q, mix]) i.addEventListener('input', render);
  render();
}
