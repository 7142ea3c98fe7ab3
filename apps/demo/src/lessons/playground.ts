// Lesson 6: a playground — pick data, inputs and a network, and watch every unit learn, with
// the training running continuously in the worker on the real gd packages.
import * as Plot from '@observablehq/plot';
import { chart, choice, el, fitWidth, fmt, numberField, onResize, readAll, section, show } from '../ui.js';
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
    '6. Playground',
    el(
      'p',
      {},
      'Choose the data, the inputs the network sees, its layers and how it learns, then press play. Each small square shows what one unit computes over the plane (blue positive, orange negative); each line is a weight, thicker when larger, blue when positive. The network learns on the training points (filled) and is judged on the test points (white rings). Training runs in a Web Worker on the gd packages.',
    ),
  );
  const cfg = fromUrl();
  const [dsL, ds] = choice(
    'data',
    'pg-dataset',
    [
      ['circle', 'circle'],
      ['xor', 'XOR'],
      ['gauss', 'Gaussian'],
      ['spiral', 'spiral'],
      ['reg-plane', 'regression: plane'],
      ['reg-gauss', 'regression: two bumps'],
    ],
    cfg.dataset,
  );
  const noise = numberField('noise %', 'pg-noise', String(cfg.noise), { what: 'the noise', min: 0, max: 50 });
  const ratio = numberField('training %', 'pg-ratio', String(cfg.trainRatio), {
    what: 'the share of training points',
    min: 10,
    max: 90,
    integer: true,
  });
  const bs = numberField('batch size', 'pg-batch', String(cfg.batchSize), {
    what: 'the batch size',
    min: 1,
    max: 360,
    integer: true,
    maxReason: '(there are at most 360 training points)',
  });
  const regen = el('button', { class: 'secondary', type: 'button', id: 'pg-regenerate' }, 'Regenerate');
  const [actL, act] = choice(
    'activation',
    'pg-activation',
    [
      ['tanh', 'tanh'],
      ['relu', 'ReLU'],
      ['sigmoid', 'sigmoid'],
    ],
    cfg.activation,
  );
  const [optL, opt] = choice(
    'optimizer',
    'pg-optimizer',
    [
      ['adam', 'Adam'],
      ['momentum', 'SGD + momentum'],
      ['sgd', 'SGD'],
    ],
    cfg.optimizer,
  );
  const lr = numberField('learning rate', 'pg-lr', String(cfg.lr), { what: 'the learning rate', min: 0, above: true, max: 10 });
  const [regL, regSel] = choice(
    'regularisation',
    'pg-reg',
    [
      ['none', 'none'],
      ['l1', 'L1'],
      ['l2', 'L2'],
    ],
    cfg.regularization,
  );
  const regRate = numberField('regularisation rate', 'pg-reg-rate', String(cfg.regRate), {
    what: 'the regularisation rate',
    min: 0,
    max: 10,
  });
  const features = el('fieldset', { class: 'features', id: 'pg-features' }, el('legend', {}, 'inputs'));
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
  const play = el('button', { id: 'pg-play', type: 'button' }, '▶ Play');
  const step = el('button', { class: 'secondary', id: 'pg-step', type: 'button' }, 'Step');
  const reset = el('button', { class: 'secondary', id: 'pg-reset', type: 'button' }, 'Reset');
  const layersBox = el('div', { class: 'layers', id: 'pg-layers' });
  const status = el('p', { class: 'readout', id: 'pg-status', 'aria-live': 'polite' }, 'Setting up…');
  const net = el('div', { class: 'pg-net', id: 'pg-net', tabindex: '0', role: 'group', 'aria-label': 'the network (scrolls sideways)' });
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
    const add = el('button', { type: 'button', class: 'secondary', id: 'pg-add-layer', 'aria-label': 'add a hidden layer' }, '+ layer');
    const remove = el(
      'button',
      { type: 'button', class: 'secondary', id: 'pg-remove-layer', 'aria-label': 'remove the last hidden layer' },
      '− layer',
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
      const plus = el('button', { type: 'button', class: 'secondary small', 'aria-label': `add a neuron to layer ${i + 1}` }, '+');
      const minus = el('button', { type: 'button', class: 'secondary small', 'aria-label': `remove a neuron from layer ${i + 1}` }, '−');
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
    show(
      layersBox,
      el(
        'span',
        { class: 'note', id: 'pg-layers-text' },
        `${hidden.length} hidden layer${hidden.length === 1 ? '' : 's'}${hidden.length ? ':' : ''}`,
      ),
      ...per,
      remove,
      add,
    );
  };

  /** The settings, or undefined when one is wrong (each shown beside its field). */
  const read = (): PlaygroundConfig | undefined => {
    const values = readAll(noise, ratio, bs, lr, regRate);
    const chosen = [...boxes].filter(([, b]) => b.checked).map(([n]) => n);
    featureError.textContent = chosen.length ? '' : 'Choose at least one input.';
    if (!values || chosen.length === 0) return undefined;
    const [noiseV, ratioV, bsV, lrV, rateV] = values as [number, number, number, number, number];
    const nTrain = Math.round((400 * ratioV) / 100);
    if (bsV > nTrain) {
      bs.input.setAttribute('aria-invalid', 'true');
      document.getElementById('pg-batch-error')!.textContent = `The batch size must be at most ${nTrain}, the number of training points.`;
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
    play.textContent = on ? '❚❚ Pause' : '▶ Play';
    play.setAttribute('aria-pressed', String(on));
  };
  const setup = (): boolean => {
    const c = read();
    if (!c) {
      worker.postMessage({ lesson: 'playground', type: 'pg-pause' });
      setPlaying(false);
      show(status, el('span', { class: 'error' }, 'Fix the marked setting to go on.'));
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
      show(status, el('span', { class: 'error' }, 'Fix the marked setting to go on.'));
    }
  });
  step.addEventListener('click', () => {
    if (!read()) return;
    setPlaying(false);
    worker.postMessage({ lesson: 'playground', type: 'pg-step' });
  });

  const draw = (m: State) => {
    const c = m.cfg;
    const reg = isRegression(c.dataset);
    const tr = m.trainLoss.at(-1)!;
    const te = m.testLoss.at(-1)!;
    show(
      status,
      'epoch ',
      el('strong', { id: 'pg-epoch' }, String(m.epoch)),
      ' · training loss ',
      el('strong', { id: 'pg-train-loss' }, fmt(tr, 3)),
      ' · test loss ',
      el('strong', { id: 'pg-test-loss' }, fmt(te, 3)),
      ...(reg ? [] : [' · test accuracy ', el('strong', { id: 'pg-accuracy' }, `${(m.accuracy * 100).toFixed(1)}%`)]),
      Number.isFinite(tr) ? '' : el('span', { class: 'error' }, ' — diverged: lower the learning rate and press Reset.'),
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
      'aria-label': 'the network: one picture per unit, weights as lines',
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
    label.textContent = 'output';
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
        ? el(
            'p',
            { class: 'note', style: `width: ${w}px` },
            'The training and test loss curves appear here once training starts: press Play or Step.',
          )
        : chart({
            width: w,
            height: 240,
            y: { type: 'log', label: 'loss', grid: true, tickFormat: '~g' },
            x: { label: 'epoch', domain: [0, Math.max(10, m.epoch)] },
            color: { legend: true, domain: ['training loss', 'test loss'], range: ['#1d232b', '#e08a1e'] },
            marks: [
              Plot.line(
                m.trainLoss
                  .flatMap((v, i) => (Number.isFinite(v) && v > 0 ? [{ e: i, v, k: 'training loss' }] : []))
                  .concat(m.testLoss.flatMap((v, i) => (Number.isFinite(v) && v > 0 ? [{ e: i, v, k: 'test loss' }] : []))),
                { x: 'e', y: 'v', stroke: 'k' },
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
      show(status, el('span', { class: 'error' }, `Training stopped: ${m.message}`));
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
  drawLayers();
  setup();
}
