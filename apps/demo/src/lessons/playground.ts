// Lesson 6: a playground — pick data, inputs and a network, and watch every unit learn, with
// the training running continuously in the worker on the real gd packages.
import * as Plot from '@observablehq/plot';
import { onLang, pick, t, tr, trAttr } from '../i18n.js';
import { chart, choice, el, fitWidth, flag, fmt, libraryError, live, numberField, onResize, readAll, section, show } from '../ui.js';
import { FEATURES, isRegression, type PlaygroundConfig } from '../worker.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_LAYERS = 6;
const MAX_NEURONS = 8;

const DEFAULTS: PlaygroundConfig = {
  dataset: 'circle',
  noise: 10,
  trainRatio: 50,
  batchSize: 10,
  features: ['x1', 'x2'],
  hidden: [4, 2],
  activation: 'tanh',
  optimizer: 'adam',
  lr: 0.03,
  regularization: 'none',
  regRate: 0.001,
  seed: 1,
};

/** The settings in the address, so a teacher can share a setup as a link. */
function fromUrl(): PlaygroundConfig {
  const q = new URLSearchParams(location.search);
  const c = { ...DEFAULTS, features: [...DEFAULTS.features], hidden: [...DEFAULTS.hidden] };
  const num = (k: string, lo: number, hi: number, int = false) => {
    const v = Number(q.get(k));
    return q.has(k) && Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v)) ? v : undefined;
  };
  const pick = <T extends string>(k: string, options: readonly T[]) => options.find((o) => o === q.get(k));
  c.dataset = pick('dataset', ['circle', 'xor', 'gauss', 'spiral', 'reg-plane', 'reg-gauss'] as const) ?? c.dataset;
  c.activation = pick('activation', ['relu', 'tanh', 'sigmoid'] as const) ?? c.activation;
  c.optimizer = pick('optimizer', ['sgd', 'momentum', 'adam'] as const) ?? c.optimizer;
  c.regularization = pick('regularization', ['none', 'l1', 'l2'] as const) ?? c.regularization;
  c.noise = num('noise', 0, 50) ?? c.noise;
  c.trainRatio = num('trainRatio', 10, 90, true) ?? c.trainRatio;
  c.batchSize = num('batchSize', 1, 360, true) ?? c.batchSize;
  c.lr = num('lr', 1e-6, 10) ?? c.lr;
  c.regRate = num('regRate', 0, 10) ?? c.regRate;
  c.seed = num('seed', 0, 1e9, true) ?? c.seed;
  const f = q
    .get('features')
    ?.split(',')
    .filter((n) => n in FEATURES);
  if (f?.length) c.features = f;
  const h = q.get('hidden');
  if (h !== null) {
    const sizes = h === '' ? [] : h.split(',').map(Number);
    if (sizes.length <= MAX_LAYERS && sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_NEURONS)) c.hidden = sizes;
  }
  return c;
}

function toUrl(c: PlaygroundConfig): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(c)) q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
}

/** A small picture of a function over the plane: blue positive, orange negative. */
function heatmap(values: Float32Array, size: number, scale: number): string {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(size, size);
  for (let r = 0; r < size; r++) {
    for (let k = 0; k < size; k++) {
      // row 0 is y = −1.2: draw it at the bottom
      const v = Math.max(-1, Math.min(1, values[r * size + k]! / scale));
      const o = 4 * ((size - 1 - r) * size + k);
      const [hi, lo] = v >= 0 ? [[31, 95, 191], v] : [[224, 138, 30], -v];
      img.data[o] = 255 + (hi[0]! - 255) * lo;
      img.data[o + 1] = 255 + (hi[1]! - 255) * lo;
      img.data[o + 2] = 255 + (hi[2]! - 255) * lo;
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL();
}

function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

interface State {
  epoch: number;
  trainLoss: number[];
  testLoss: number[];
  accuracy: number;
  output: Float32Array;
  neurons: Float32Array[][];
  weights: Array<{ shape: number[]; w: number[] }>;
  points: Float32Array;
  targets: Float32Array;
  nTrain: number;
  running: boolean;
  tensors: number;
  /** the settings this state was trained with */
  cfg: PlaygroundConfig;
}

export function playgroundLesson(worker: Worker): void {
  const s = section(
    'lesson-playground',
    tr((m) => m.pg.title),
    el(
      'p',
      {},
      tr((m) => m.pg.p1),
    ),
  );
  const cfg = fromUrl();
  const [dsL, ds] = choice(
    tr((m) => m.pg.data),
    'pg-dataset',
    ['circle', 'xor', 'gauss', 'spiral', 'reg-plane', 'reg-gauss'].map((k) => [k, tr((m) => pick(m.pg.datasets, k))]),
    cfg.dataset,
  );
  const noise = numberField(
    tr((m) => m.pg.noise),
    'pg-noise',
    String(cfg.noise),
    { what: (m) => m.pg.noiseWhat, min: 0, max: 50 },
  );
  const ratio = numberField(
    tr((m) => m.pg.ratio),
    'pg-ratio',
    String(cfg.trainRatio),
    {
      what: (m) => m.pg.ratioWhat,
      min: 10,
      max: 90,
      integer: true,
    },
  );
  const bs = numberField(
    tr((m) => m.pg.batch),
    'pg-batch',
    String(cfg.batchSize),
    {
      what: (m) => m.pg.batchWhat,
      min: 1,
      max: 360,
      integer: true,
      maxReason: (m) => m.pg.batchWhy,
    },
  );
  const regen = el(
    'button',
    { class: 'secondary', type: 'button', id: 'pg-regenerate' },
    tr((m) => m.pg.regenerate),
  );
  const [actL, act] = choice(
    tr((m) => m.pg.activation),
    'pg-activation',
    [
      ['tanh', 'tanh'],
      ['relu', 'ReLU'],
      ['sigmoid', 'sigmoid'],
    ],
    cfg.activation,
  );
  const [optL, opt] = choice(
    tr((m) => m.pg.optimizer),
    'pg-optimizer',
    ['adam', 'momentum', 'sgd'].map((k) => [k, tr((m) => pick(m.pg.optimizers, k))]),
    cfg.optimizer,
  );
  const lr = numberField(
    tr((m) => m.pg.lr),
    'pg-lr',
    String(cfg.lr),
    { what: (m) => m.pg.lrWhat, min: 0, above: true, max: 10 },
  );
  const [regL, regSel] = choice(
    tr((m) => m.pg.reg),
    'pg-reg',
    ['none', 'l1', 'l2'].map((k) => [k, tr((m) => pick(m.pg.regs, k))]),
    cfg.regularization,
  );
  const regRate = numberField(
    tr((m) => m.pg.regRate),
    'pg-reg-rate',
    String(cfg.regRate),
    {
      what: (m) => m.pg.regRateWhat,
      min: 0,
      max: 10,
    },
  );
  const features = el(
    'fieldset',
    { class: 'features', id: 'pg-features' },
    el(
      'legend',
      {},
      tr((m) => m.pg.inputs),
    ),
  );
  const boxes = new Map<string, HTMLInputElement>();
  for (const name of Object.keys(FEATURES)) {
    const id = `pg-f-${Object.keys(FEATURES).indexOf(name)}`;
    const box = el('input', { type: 'checkbox', id, 'data-feature': name });
    box.checked = cfg.features.includes(name);
    boxes.set(name, box);
    features.append(el('label', { for: id }, box, ` ${name}`));
  }
  const featureError = el('span', { class: 'field-error', id: 'pg-features-error', 'aria-live': 'polite' });
  features.append(featureError);
  const play = el('button', { id: 'pg-play', type: 'button' });
  const step = el(
    'button',
    { class: 'secondary', id: 'pg-step', type: 'button' },
    tr((m) => m.pg.step),
  );
  const reset = el(
    'button',
    { class: 'secondary', id: 'pg-reset', type: 'button' },
    tr((m) => m.pg.reset),
  );
  const layersBox = el('div', { class: 'layers', id: 'pg-layers' });
  const status = el('p', { class: 'readout', id: 'pg-status', 'aria-live': 'polite' });
  live(status, () => [t().pg.settingUp]);
  const net = trAttr(el('div', { class: 'pg-net', id: 'pg-net', tabindex: '0', role: 'group' }), 'aria-label', (m) => m.pg.netAria);
  const plots = el('div', { class: 'row', id: 'pg-plots' });
  s.append(
    el('div', { class: 'controls' }, dsL, noise.label, ratio.label, bs.label, regen),
    features,
    el('div', { class: 'controls' }, actL, optL, lr.label, regL, regRate.label),
    layersBox,
    el('div', { class: 'controls' }, play, step, reset),
    status,
    net,
    plots,
  );

  const hidden = [...cfg.hidden];
  let running = false;
  let last: State | undefined;
  let frame = false;
  const drawLayers = () => {
    const m = t().pg;
    const add = el('button', { type: 'button', class: 'secondary', id: 'pg-add-layer', 'aria-label': m.addLayerAria }, m.addLayer);
    const remove = el(
      'button',
      { type: 'button', class: 'secondary', id: 'pg-remove-layer', 'aria-label': m.removeLayerAria },
      m.removeLayer,
    );
    add.disabled = hidden.length >= MAX_LAYERS;
    remove.disabled = hidden.length === 0;
    add.addEventListener('click', () => {
      hidden.push(2);
      changed();
    });
    remove.addEventListener('click', () => {
      hidden.pop();
      changed();
    });
    const per = hidden.map((n, i) => {
      const plus = el('button', { type: 'button', class: 'secondary small', 'aria-label': m.addNeuron(i + 1) }, '+');
      const minus = el('button', { type: 'button', class: 'secondary small', 'aria-label': m.removeNeuron(i + 1) }, '−');
      plus.disabled = n >= MAX_NEURONS;
      minus.disabled = n <= 1;
      plus.addEventListener('click', () => {
        hidden[i]!++;
        changed();
      });
      minus.addEventListener('click', () => {
        hidden[i]!--;
        changed();
      });
      return el('span', { class: 'layer', 'data-layer': String(i) }, minus, el('span', { class: 'count' }, `${n}`), plus);
    });
    show(layersBox, el('span', { class: 'note', id: 'pg-layers-text' }, m.layers(hidden.length)), ...per, remove, add);
  };

  /** The settings, or undefined when one is wrong (each shown beside its field). */
  let batchTooLarge = false;
  const read = (): PlaygroundConfig | undefined => {
    batchTooLarge = false;
    const values = readAll(noise, ratio, bs, lr, regRate);
    const chosen = [...boxes].filter(([, b]) => b.checked).map(([n]) => n);
    featureError.textContent = chosen.length ? '' : t().pg.chooseInput;
    if (!values || chosen.length === 0) return undefined;
    const [noiseV, ratioV, bsV, lrV, rateV] = values as [number, number, number, number, number];
    const nTrain = Math.round((400 * ratioV) / 100);
    if (bsV > nTrain) {
      flag(bs.input, t().pg.batchTrain(nTrain));
      batchTooLarge = true;
      return undefined;
    }
    return {
      dataset: ds.value as PlaygroundConfig['dataset'],
      noise: noiseV,
      trainRatio: ratioV,
      batchSize: bsV,
      features: chosen,
      hidden: [...hidden],
      activation: act.value as PlaygroundConfig['activation'],
      optimizer: opt.value as PlaygroundConfig['optimizer'],
      lr: lrV,
      regularization: regSel.value as PlaygroundConfig['regularization'],
      regRate: rateV,
      seed: cfg.seed,
    };
  };
  const setPlaying = (on: boolean) => {
    running = on;
    play.textContent = on ? t().pg.pause : t().pg.play;
    play.setAttribute('aria-pressed', String(on));
  };
  const setup = (): boolean => {
    const c = read();
    if (!c) {
      worker.postMessage({ lesson: 'playground', type: 'pg-pause' });
      setPlaying(false);
      live(status, () => [el('span', { class: 'error' }, t().pg.fix)]);
      return false;
    }
    toUrl(c);
    worker.postMessage({ lesson: 'playground', type: 'pg-setup', cfg: c });
    return true;
  };
  const changed = () => {
    drawLayers();
    const was = running;
    if (setup() && was) worker.postMessage({ lesson: 'playground', type: 'pg-play' });
  };
  for (const f of [noise, ratio, bs, lr, regRate]) f.input.addEventListener('change', changed);
  for (const sel of [ds, act, opt, regSel]) sel.addEventListener('change', changed);
  for (const b of boxes.values()) b.addEventListener('change', changed);
  regen.addEventListener('click', () => {
    cfg.seed++;
    changed();
  });
  reset.addEventListener('click', () => {
    setPlaying(false);
    setup();
  });
  play.addEventListener('click', () => {
    if (running) {
      setPlaying(false);
      worker.postMessage({ lesson: 'playground', type: 'pg-pause' });
    } else if (read()) {
      setPlaying(true);
      worker.postMessage({ lesson: 'playground', type: 'pg-play' });
    } else {
      live(status, () => [el('span', { class: 'error' }, t().pg.fix)]);
    }
  });
  step.addEventListener('click', () => {
    if (!read()) return;
    setPlaying(false);
    worker.postMessage({ lesson: 'playground', type: 'pg-step' });
  });

  const draw = (m: State) => {
    const msg = t().pg;
    const c = m.cfg;
    const reg = isRegression(c.dataset);
    const tr = m.trainLoss.at(-1)!;
    const te = m.testLoss.at(-1)!;
    show(
      status,
      msg.epoch,
      el('strong', { id: 'pg-epoch' }, String(m.epoch)),
      msg.trainLoss,
      el('strong', { id: 'pg-train-loss' }, fmt(tr, 3)),
      msg.testLoss,
      el('strong', { id: 'pg-test-loss' }, fmt(te, 3)),
      ...(reg ? [] : [msg.accuracy, el('strong', { id: 'pg-accuracy' }, `${(m.accuracy * 100).toFixed(1)}%`)]),
      Number.isFinite(tr) ? '' : el('span', { class: 'error', 'data-diverged': 'true' }, msg.diverged),
    );
    status.dataset.epoch = String(m.epoch);
    status.dataset.tensors = String(m.tensors);
    // the network: inputs, hidden units, output; each a picture of what it computes
    const cols = [c.features.length, ...m.neurons.map((l) => l.length), 1];
    const S = 40;
    // gaps shrink to fit a narrow screen before the picture has to scroll
    const GAP = Math.max(16, Math.min(58, Math.floor((fitWidth(net, 900) - 70 - cols.length * S) / Math.max(1, cols.length - 1))));
    const width = cols.length * S + (cols.length - 1) * GAP + 70;
    const height = Math.max(...cols) * (S + 10) + 10;
    const svg = svgEl('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': msg.svgAria,
    }) as SVGSVGElement;
    svg.style.maxWidth = `${width}px`;
    const at = (ci: number, k: number): [number, number] => [
      60 + ci * (S + GAP),
      5 + k * (S + 10) + ((Math.max(...cols) - cols[ci]!) * (S + 10)) / 2,
    ];
    const wmax = Math.max(1e-6, ...m.weights.flatMap((l) => l.w.map(Math.abs)));
    m.weights.forEach((l, li) => {
      const [out, inp] = l.shape as [number, number];
      for (let o = 0; o < Math.min(out, cols[li + 1]!); o++) {
        for (let i = 0; i < inp; i++) {
          const w = reg || li < m.weights.length - 1 ? l.w[o * inp + i]! : l.w[inp + i]! - l.w[i]!;
          const [x1, y1] = at(li, i);
          const [x2, y2] = at(li + 1, o);
          svg.append(
            svgEl('line', {
              x1: x1 + S,
              y1: y1 + S / 2,
              x2,
              y2: y2 + S / 2,
              stroke: w >= 0 ? '#1f5fbf' : '#e08a1e',
              'stroke-width': (0.3 + (5 * Math.abs(w)) / wmax).toFixed(2),
              'stroke-opacity': 0.75,
              class: 'pg-weight',
            }),
          );
        }
      }
    });
    const N = Math.sqrt(m.neurons[0]?.[0]?.length ?? 400);
    c.features.forEach((f, i) => {
      const [x, y] = at(0, i);
      const vals = new Float32Array(N * N);
      for (let r = 0; r < N; r++)
        for (let k = 0; k < N; k++) vals[r * N + k] = FEATURES[f]!(-1.2 + (2.4 * (k + 0.5)) / N, -1.2 + (2.4 * (r + 0.5)) / N);
      svg.append(svgEl('text', { x: x - 4, y: y + S / 2 + 4, 'text-anchor': 'end', 'font-size': 11 }));
      svg.lastChild!.textContent = f;
      const img = svgEl('image', { x, y, width: S, height: S, href: heatmap(vals, N, 1), class: 'pg-unit', preserveAspectRatio: 'none' });
      svg.append(img);
    });
    m.neurons.forEach((layer, li) => {
      layer.forEach((vals, k) => {
        const [x, y] = at(li + 1, k);
        const scale = c.activation === 'relu' ? Math.max(1e-6, ...vals) : 1;
        const centred = c.activation === 'sigmoid' ? vals.map((v) => 2 * v - 1) : vals;
        svg.append(
          svgEl('image', {
            x,
            y,
            width: S,
            height: S,
            href: heatmap(centred, N, scale),
            class: 'pg-unit pg-neuron',
            preserveAspectRatio: 'none',
          }),
        );
      });
    });
    const [ox, oy] = at(cols.length - 1, 0);
    const G = Math.round(Math.sqrt(m.output.length));
    const outMap = reg ? m.output : m.output.map((p) => 2 * p - 1);
    svg.append(
      svgEl('image', { x: ox, y: oy, width: S, height: S, href: heatmap(outMap, G, 1), class: 'pg-unit', preserveAspectRatio: 'none' }),
    );
    svg.append(svgEl('rect', { x: ox, y: oy, width: S, height: S, fill: 'none', stroke: '#1d232b' }));
    const label = svgEl('text', { x: ox, y: oy + S + 12, 'font-size': 11 });
    label.textContent = msg.output;
    svg.append(label);
    show(net, svg);
    // the output over the plane with the data, and the loss curves
    const w = fitWidth(plots, 380);
    const pts = Array.from(m.targets, (t, i) => ({ x: m.points[2 * i]!, y: m.points[2 * i + 1]!, t, test: i >= m.nTrain }));
    const out = reg ? m.output : m.output.map((p) => 2 * p - 1);
    show(
      plots,
      chart({
        width: w,
        height: w,
        x: { domain: [-1.2, 1.2], label: 'x1' },
        y: { domain: [-1.2, 1.2], label: 'x2' },
        // the same colours as the unit pictures: orange −1, white 0, blue +1
        color: { type: 'linear', domain: [-1, 0, 1], range: ['#e08a1e', '#ffffff', '#1f5fbf'], clamp: true },
        marks: [
          Plot.raster(Array.from(out), {
            x1: -1.2,
            x2: 1.2,
            y1: -1.2,
            y2: 1.2,
            width: 40,
            height: 40,
            fill: (d: number) => d,
            imageRendering: 'pixelated',
            fillOpacity: m.epoch === 0 ? 0.25 : 0.8,
          }),
          Plot.dot(pts, {
            x: 'x',
            y: 'y',
            r: 3,
            fill: (d: { t: number; test: boolean }) =>
              d.test ? '#fff' : reg ? (d.t >= 0 ? '#1f5fbf' : '#e08a1e') : d.t === 1 ? '#1f5fbf' : '#e08a1e',
            stroke: (d: { t: number; test: boolean }) =>
              d.test ? (reg ? (d.t >= 0 ? '#1f5fbf' : '#e08a1e') : d.t === 1 ? '#1f5fbf' : '#e08a1e') : '#000',
            strokeWidth: (d: { test: boolean }) => (d.test ? 1.8 : 0.5),
          }),
        ],
      }),
      m.trainLoss.length < 2
        ? el('p', { class: 'note', style: `width: ${w}px` }, msg.curvesLater)
        : chart({
            width: w,
            height: 240,
            y: { type: 'log', label: msg.loss, grid: true, tickFormat: '~g' },
            x: { label: msg.epochAxis, domain: [0, Math.max(10, m.epoch)] },
            color: { legend: true, domain: [msg.trainingLoss, msg.testLossKey], range: ['#1d232b', '#e08a1e'] },
            marks: [
              Plot.line(
                m.trainLoss
                  .flatMap((v, i) => (Number.isFinite(v) && v > 0 ? [{ e: i, v, k: msg.trainingLoss }] : []))
                  .concat(m.testLoss.flatMap((v, i) => (Number.isFinite(v) && v > 0 ? [{ e: i, v, k: msg.testLossKey }] : []))),
                // one series per key, said outright: Plot guesses series from stroke and warns when it has few points
                { x: 'e', y: 'v', stroke: 'k', z: 'k' },
              ),
            ],
          }),
    );
  };

  worker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data;
    if (m.lesson !== 'playground') return;
    if (m.type === 'error') {
      setPlaying(false);
      const message = String(m.message);
      live(status, () => [libraryError(t().pg.stopped, message, t().explain.training, 'span')]);
    } else if (m.type === 'pg-state') {
      last = m as State;
      if (!m.running && running && (!Number.isFinite(m.trainLoss.at(-1)) || m.epoch >= 5000)) setPlaying(false);
      // draw only the newest state, once per frame, however fast the worker reports
      if (!frame) {
        frame = true;
        requestAnimationFrame(() => {
          frame = false;
          if (last) draw(last);
        });
      }
    }
  });
  onResize(() => last && draw(last));
  onLang(() => {
    drawLayers();
    setPlaying(running);
    const chosen = [...boxes.values()].some((b) => b.checked);
    featureError.textContent = chosen ? '' : t().pg.chooseInput;
    // a batch larger than the training set is only known here: say it again in the new words
    if (batchTooLarge) read();
    // a status drawn from the last state is drawn again; a message (live) follows by itself
    if (last && status.querySelector('#pg-epoch')) draw(last);
  });
  setPlaying(false);
  drawLayers();
  setup();
}
