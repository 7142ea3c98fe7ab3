// Lesson 8: cross-entropy trains a character Transformer on Tang quatrains, live in a worker or
// from the shipped weights; sampling at a temperature; a held-out poem coloured by −log₂ p; and
// the attention of one head over the characters before the one it predicts.
import * as Plot from '@observablehq/plot';
import { t, tr, trAttr } from '../i18n.js';
import POEM from '../poem.json';
import type { PoemReading, PoemReply, PoemScore } from '../poemWorker.js';
import { chart, choice, el, fitWidth, libraryError, live, numberField, onResize, section } from '../ui.js';

/** Colour stops of the information-content scale, in bits (light: expected, dark: surprising). */
const STOPS: Array<[number, [number, number, number]]> = [
  [0, [255, 247, 236]],
  [3, [253, 212, 158]],
  [6, [252, 141, 89]],
  [9, [215, 48, 31]],
  [12, [127, 0, 0]],
];
/** The scale's top: more bits than this get its darkest colour. */
const MAX_BITS = 12;

/** The background colour of a character worth `bits` of information. */
export function bitsColour(bits: number): [number, number, number] {
  const b = Math.max(0, Math.min(MAX_BITS, bits));
  for (let i = 1; i < STOPS.length; i++) {
    const [b1, c1] = STOPS[i]!;
    const [b0, c0] = STOPS[i - 1]!;
    if (b <= b1) {
      const f = (b - b0) / (b1 - b0);
      return [0, 1, 2].map((k) => Math.round(c0[k]! + f * (c1[k]! - c0[k]!))) as [number, number, number];
    }
  }
  return STOPS.at(-1)![1];
}

const luminance = ([r, g, b]: number[]) => {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
};

/** Dark or white text, whichever reads better on the background. */
function textOn(bg: [number, number, number]): string {
  const l = luminance(bg);
  const dark = luminance([29, 35, 43]);
  return (l + 0.05) / (dark + 0.05) >= 1.05 / (l + 0.05) ? '#1d232b' : '#ffffff';
}

const rgb = (c: number[]) => `rgb(${c.join(',')})`;
const f2 = (x: number) => x.toFixed(2);

export function poemLesson(worker: Worker): void {
  const s = section(
    'lesson-poem',
    tr((m) => m.poem.title),
    el(
      'p',
      {},
      tr((m) => m.poem.p1),
    ),
    el(
      'p',
      {},
      tr((m) => m.poem.p2),
      el('code', {}, 'pnpm start --model poem'),
      tr((m) => m.poem.p2end),
    ),
  );
  const train = el('button', { id: 'poem-train', type: 'button' });
  const stop = el(
    'button',
    { id: 'poem-stop', type: 'button', class: 'secondary', disabled: '' },
    tr((m) => m.poem.stop),
  );
  const load = el(
    'button',
    { id: 'poem-load', type: 'button', class: 'secondary' },
    tr((m) => m.poem.load),
  );
  const status = el('p', { class: 'readout', 'aria-live': 'polite', id: 'poem-status' });
  const dataLine = el('p', { class: 'note', id: 'poem-data' });
  const modelLine = el('p', { class: 'note', id: 'poem-model' });
  const curveBox = el('div', { id: 'poem-curve' });
  const tableBox = el('div', { id: 'poem-scores', class: 'table-scroll' });
  const temp = numberField(
    tr((m) => m.poem.temperature),
    'poem-temperature',
    '0.8',
    {
      what: (m) => m.poem.temperatureWhat,
      min: 0,
      above: true,
      max: 5,
      maxReason: (m) => m.poem.temperatureWhy,
    },
  );
  const slider = el('input', { id: 'poem-temperature-slider', type: 'range', min: '0.1', max: '2', step: '0.05', value: '0.8' });
  trAttr(slider, 'aria-label', (m) => m.poem.temperature);
  const seed = numberField(
    tr((m) => m.poem.seed),
    'poem-seed',
    '42',
    {
      what: (m) => m.poem.seedWhat,
      min: 0,
      max: 4294967295,
      integer: true,
      maxReason: (m) => m.poem.seedWhy,
    },
  );
  const generate = el(
    'button',
    { id: 'poem-generate', type: 'button' },
    tr((m) => m.poem.generate),
  );
  const samplesBox = el('div', { id: 'poem-samples', 'aria-live': 'polite' });
  const famousBox = el('div', { id: 'poem-famous' });
  const attentionBox = el('div', { id: 'poem-attention' });
  s.append(
    el('div', { class: 'controls' }, train, stop, load),
    status,
    dataLine,
    modelLine,
    curveBox,
    tableBox,
    el(
      'h3',
      {},
      tr((m) => m.poem.generateTitle),
    ),
    el('div', { class: 'controls' }, temp.label, slider, seed.label, generate),
    samplesBox,
    famousBox,
    attentionBox,
  );
  // what the worker has said so far
  let phase: 'idle' | 'running' | 'stopped' | 'done' = 'idle';
  let ready: Extract<PoemReply, { type: 'poem-ready' }> | undefined;
  const losses: Array<{ step: number; bits: number }> = [];
  const heldOut: Array<{ step: number; bits: number }> = [];
  let transformerBits: number | undefined;
  let reading: PoemReading | undefined;
  let chosen = (POEM.famous.text as string).length - 2; // 少: the last character before 。
  let head = '0:0';

  live(train, () => [phase === 'stopped' ? t().poem.resume : t().poem.train]);
  live(status, () => [t().poem.press]);

  const setButtons = () => {
    // after a whole run (or a loaded model) Train starts a new run
    train.disabled = phase === 'running';
    stop.disabled = phase !== 'running';
    load.disabled = phase === 'running';
    generate.disabled = phase === 'running';
    live(train, () => [phase === 'stopped' ? t().poem.resume : t().poem.train]);
  };

  const drawCurve = () => {
    if (!ready) return;
    const r = ready;
    const entropy = r.entropy;
    const bigram = r.baselines.find((b) => b.name === 'bigram')!.bitsPerChar;
    curveBox.dataset.entropy = String(entropy);
    curveBox.dataset.bigram = String(bigram);
    curveBox.dataset.steps = String(losses.length);
    curveBox.dataset.losses = JSON.stringify(losses.map((d) => d.bits));
    const pts = losses.slice();
    const held = heldOut.slice();
    curveBox.dataset.heldOut = JSON.stringify(held);
    const maxStep = Math.max(10, pts.at(-1)?.step ?? 0, held.at(-1)?.step ?? 0);
    live(curveBox, () => {
      const m = t().poem;
      // at the left, where the loss is still high: the entropy's label above its line, the bigram's
      // below its own (they are close)
      const lines = [
        { y: entropy, label: `${m.unigramLine} ${f2(entropy)}` },
        { y: bigram, label: `${m.bigramLine} ${f2(bigram)}` },
      ];
      return [
        el('p', { class: 'note' }, m.chartTitle),
        chart({
          width: fitWidth(s, 720),
          height: 260,
          marginRight: 10,
          y: { label: m.bitsAxis, domain: [0, Math.max(14, ...pts.slice(0, 3).map((d) => d.bits))], grid: true },
          x: { label: m.stepAxis, domain: [0, maxStep] },
          marks: [
            Plot.ruleY(lines, { y: 'y', stroke: '#7a4dbd', strokeDasharray: '6,4' }),
            Plot.text(lines.slice(0, 1), { x: 0, y: 'y', text: 'label', textAnchor: 'start', dx: 4, dy: -7, fill: '#5a2d9d' }),
            Plot.text(lines.slice(1), { x: 0, y: 'y', text: 'label', textAnchor: 'start', dx: 4, dy: 12, fill: '#5a2d9d' }),
            Plot.line(pts, { x: 'step', y: 'bits', stroke: '#2356b8' }),
            Plot.dot(held, { x: 'step', y: 'bits', fill: '#b35c00', r: 4, symbol: 'diamond' }),
            Plot.ruleY([0]),
          ],
        }) as Element,
        el(
          'p',
          { class: 'note' },
          el('span', { class: 'swatch', style: 'background:#2356b8' }),
          ` ${m.lossLine} · `,
          el('span', { class: 'swatch', style: 'background:#b35c00' }),
          ` ${m.heldOutDots} · `,
          el('span', { class: 'swatch dashed' }),
          ` ${m.unigramLine}, ${m.bigramLine}`,
        ),
      ];
    });
  };
  onResize(drawCurve);

  const drawTable = () => {
    if (!ready) return;
    const scores: Array<PoemScore | { name: 'transformer'; bitsPerChar: number | undefined }> = [
      ...ready.baselines,
      { name: 'transformer', bitsPerChar: transformerBits },
    ];
    live(tableBox, () => {
      const m = t().poem;
      return [
        el(
          'table',
          { class: 'values' },
          el('caption', {}, m.tableCaption),
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, m.modelCol), el('th', { scope: 'col' }, m.bitsCol))),
          el(
            'tbody',
            {},
            ...scores.map((sc) =>
              el(
                'tr',
                { 'data-model': sc.name, 'data-bits': sc.bitsPerChar === undefined ? '' : String(sc.bitsPerChar) },
                el('th', { scope: 'row' }, m.models[sc.name] ?? sc.name),
                el('td', {}, sc.bitsPerChar === undefined ? m.notYet : sc.bitsPerChar.toFixed(3)),
              ),
            ),
          ),
        ),
      ];
    });
  };

  const drawAttention = () => {
    if (!reading) return;
    const [layer, h] = head.split(':').map(Number) as [number, number];
    const row = reading.attention[layer]![h]![chosen]!.slice(0, chosen + 1);
    const labels = [t().poem.startToken, ...reading.chars.slice(0, chosen)];
    attentionBox.dataset.layer = String(layer);
    attentionBox.dataset.head = String(h);
    attentionBox.dataset.position = String(chosen);
    attentionBox.dataset.row = JSON.stringify(row);
    const ch = reading.chars[chosen]!;
    live(attentionBox, () => {
      const m = t().poem;
      const big = Math.max(...row);
      return [
        el('p', { class: 'note', id: 'poem-attention-note' }, m.attentionOf(ch, chosen + 1)),
        el(
          'ol',
          { class: 'attention-row', 'aria-label': m.attentionAria(ch) },
          ...row.map((w, j) =>
            el(
              'li',
              { 'data-weight': String(w) },
              el('span', { class: 'attention-bar', style: `height:${Math.round((40 * w) / big)}px` }),
              el(
                'span',
                { class: 'attention-char', lang: j === 0 ? document.documentElement.lang : 'zh-Hant' },
                j === 0 ? m.startToken : labels[j]!,
              ),
              el('span', { class: 'attention-weight' }, w.toFixed(2)),
            ),
          ),
        ),
      ];
    });
  };

  const [headLabel, headSelect] = choice(
    tr((m) => m.poem.head),
    'poem-head',
    [],
  );
  headSelect.addEventListener('change', () => {
    head = headSelect.value;
    drawAttention();
  });

  const drawFamous = () => {
    if (!reading) return;
    const r = reading;
    const total = r.bits.reduce((a, b) => a + b, 0);
    const bigram = r.bigramBits.reduce((a, b) => a + b, 0);
    const nLayers = r.attention.length;
    const nHeads = r.attention[0]!.length;
    famousBox.dataset.total = String(total);
    live(famousBox, () => {
      const m = t().poem;
      const cells = r.chars.map((c, i) => {
        const bg = bitsColour(r.bits[i]!);
        const b = el(
          'button',
          {
            type: 'button',
            class: 'poem-char',
            'data-bits': String(r.bits[i]),
            'data-index': String(i),
            'aria-pressed': String(i === chosen),
            // the name is what shows (the character and its bits); the title, shown on hover and read
            // as the description, adds p and the bigram's bits
            title: m.charLabel(c, f2(r.bits[i]!), (2 ** -r.bits[i]!).toPrecision(3), f2(r.bigramBits[i]!)),
          },
          el('span', { class: 'poem-glyph', lang: 'zh-Hant', style: `background:${rgb(bg)};color:${textOn(bg)}` }, c),
          el('span', { class: 'poem-bits' }, r.bits[i]!.toFixed(1)),
        );
        b.addEventListener('click', () => {
          chosen = i;
          for (const o of Array.from(famousBox.querySelectorAll('.poem-char'))) o.setAttribute('aria-pressed', String(o === b));
          drawAttention();
        });
        return b;
      });
      const lines = [0, 1, 2, 3].map((l) => el('div', { class: 'poem-line' }, ...cells.slice(l * 6, l * 6 + 6)));
      const legendStops = [0, 3, 6, 9, 12];
      return [
        el('h3', {}, `《${POEM.famous.title}》`),
        el('p', { class: 'note' }, m.famous(POEM.famous.title, POEM.famous.author)),
        el('div', { class: 'poem-text' }, ...lines),
        el(
          'div',
          { class: 'poem-legend', id: 'poem-legend' },
          el('span', {}, `${m.legend}${m.legendLow}`),
          ...legendStops.map((b) => {
            const bg = bitsColour(b);
            return el(
              'span',
              { class: 'poem-legend-cell', style: `background:${rgb(bg)};color:${textOn(bg)}` },
              b === MAX_BITS ? `≥${b}` : String(b),
            );
          }),
          el('span', {}, m.legendHigh),
        ),
        el('p', { class: 'readout', id: 'poem-total' }, m.total(total.toFixed(1), f2(total / r.bits.length), bigram.toFixed(1))),
      ];
    });
    // the head menu: every head of every block
    const options: Array<[string, string]> = [];
    for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++) options.push([`${l}:${h}`, t().poem.headOption(l + 1, h + 1)]);
    if (headSelect.options.length !== options.length) {
      headSelect.replaceChildren(
        ...options.map(([v], k) =>
          el(
            'option',
            { value: v },
            tr((m) => m.poem.headOption(Math.floor(k / nHeads) + 1, (k % nHeads) + 1)),
          ),
        ),
      );
    }
    headSelect.value = head;
    if (!headLabel.isConnected) attentionBox.before(el('div', { class: 'controls' }, headLabel));
    drawAttention();
  };

  const busy = (f: (m: ReturnType<typeof t>['poem']) => string) => live(status, () => [f(t().poem)]);

  worker.addEventListener('message', (e: MessageEvent<PoemReply & { lesson: string }>) => {
    const m = e.data;
    if (m.lesson !== 'poem') return;
    if (m.type === 'poem-ready') {
      ready = m;
      const r = m;
      dataLine.dataset.corpusBytes = String(r.corpusBytes);
      live(dataLine, () => [
        t().poem.data({
          train: r.train,
          held: r.held,
          chars: r.chars.toLocaleString('en'),
          vocab: r.vocab.toLocaleString('en'),
          kb: (r.corpusBytes / 1024).toFixed(0),
          threads: r.threads,
        }),
      ]);
      drawCurve();
      drawTable();
    } else if (m.type === 'poem-step') {
      m.bits.forEach((b, i) => {
        losses.push({ step: m.first + i, bits: b });
      });
      status.dataset.step = String(m.step);
      const last = m.bits.at(-1)!;
      busy((w) => w.step(m.step, m.steps, m.epoch, f2(last)));
      drawCurve();
    } else if (m.type === 'poem-epoch') {
      heldOut.push({ step: m.step, bits: m.heldOut });
      transformerBits = m.heldOut;
      drawCurve();
      drawTable();
    } else if (m.type === 'poem-stopped') {
      phase = m.complete ? 'done' : 'stopped';
      status.dataset.step = String(m.step);
      busy((w) => (m.complete ? w.done(m.steps) : w.stopped(m.step, m.steps)));
      setButtons();
    } else if (m.type === 'poem-model') {
      transformerBits = m.heldOut;
      reading = m.reading;
      modelLine.dataset.heldOut = String(m.heldOut);
      modelLine.dataset.source = m.source;
      const c = m.config;
      live(modelLine, () => [t().poem.model(c.params.toLocaleString('en'), c.numLayers, c.dModel, c.numHeads)]);
      if (m.source === 'shipped') {
        modelLine.dataset.claimed = String(m.claimed);
        // the chart shows where the loaded model ends: its held-out bits after all its steps
        losses.length = 0;
        heldOut.splice(0, heldOut.length, { step: m.step, bits: m.heldOut });
        drawCurve();
        // a loaded model is the end of a run: Train starts a new one
        phase = 'done';
        setButtons();
        live(status, () => [t().poem.shipped(m.step, ((m.bytes ?? 0) / 1024).toFixed(0), (m.claimed ?? 0).toFixed(6))]);
      }
      drawTable();
      drawFamous();
    } else if (m.type === 'poem-samples') {
      samplesBox.dataset.temperature = String(m.temperature);
      live(samplesBox, () => [
        el('ol', { class: 'poem-samples' }, ...m.poems.map((p) => el('li', { lang: 'zh-Hant' }, p))),
        el('p', { class: 'note' }, t().poem.samples(m.poems.length, m.wellFormed, String(m.temperature))),
      ]);
    } else if (m.type === 'error') {
      if (phase === 'running') phase = 'stopped';
      setButtons();
      live(samplesBox, () => [
        m.code === 'no-model'
          ? el('p', { class: 'error', id: 'poem-error' }, t().poem.firstModel)
          : libraryError(t().poem.loadFailed, m.message, t().explain.training),
      ]);
    }
  });

  train.addEventListener('click', () => {
    if (phase === 'idle' || phase === 'done') {
      // a new run: its curve, and no poems of the model before it
      losses.length = 0;
      heldOut.length = 0;
      live(samplesBox, () => []);
    }
    phase = 'running';
    setButtons();
    busy((w) => w.loading);
    worker.postMessage({ type: 'poem-train', base: document.baseURI });
  });
  stop.addEventListener('click', () => {
    worker.postMessage({ type: 'poem-stop' });
  });
  load.addEventListener('click', () => {
    busy((w) => w.loadingWeights);
    load.disabled = true;
    worker.postMessage({ type: 'poem-load', base: document.baseURI });
  });
  // the slider and the field say the same temperature; a bad typed value is named beside the field
  slider.addEventListener('input', () => {
    temp.input.value = slider.value;
    temp.read();
  });
  temp.input.addEventListener('input', () => {
    const v = Number(temp.input.value);
    if (temp.input.getAttribute('aria-invalid') !== 'true' && v >= 0.1 && v <= 2) slider.value = String(v);
  });
  generate.addEventListener('click', () => {
    const tv = temp.read();
    const sv = seed.read();
    if (tv === undefined || sv === undefined) {
      (tv === undefined ? temp : seed).input.focus();
      return;
    }
    if (!reading && phase !== 'stopped') {
      live(samplesBox, () => [el('p', { class: 'error', id: 'poem-error' }, t().poem.firstModel)]);
      return;
    }
    worker.postMessage({ type: 'poem-generate', temperature: tv, seed: sv, count: 6 });
  });
  setButtons();
}
