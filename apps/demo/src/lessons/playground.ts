// Lesson 6: a playground — pick data, inputs and a network, and watch every unit learn, with
// the training running continuously in the worker on the real gd packages.
import * as Plot from '@observablehq/plot';
import { type Messages, onLang, pick, t, tr, trAttr } from '../i18n.js';
import {
  chart,
  choice,
  el,
  fitWidth,
  flag,
  fmt,
  libraryError,
  live,
  numberField,
  onResize,
  quoted,
  readAll,
  section,
  show,
} from '../ui.js';
import { FEATURES, isRegression, MAX_EPOCHS, type PlaygroundConfig } from '../worker.js';

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

/** How the page draws the playground (not how it trains): kept in the address with the settings. */
interface View {
  /** the output shown as its class (or sign) only */
  discretize: boolean;
  /** the test points drawn */
  showTest: boolean;
}

/** A setting in the address that could not be used: its name, what it said, and what it must be. */
interface UrlProblem {
  key: string;
  value: string;
  expected: (m: Messages) => string;
}

/** The settings in the address, so a teacher can share a setup as a link; a bad one is named, not dropped. */
function fromUrl(): { cfg: PlaygroundConfig; view: View; problems: UrlProblem[] } {
  const q = new URLSearchParams(location.search);
  const c = { ...DEFAULTS, features: [...DEFAULTS.features], hidden: [...DEFAULTS.hidden] };
  const view: View = { discretize: false, showTest: true };
  const problems: UrlProblem[] = [];
  const bad = (key: string, expected: (m: Messages) => string) => problems.push({ key, value: q.get(key)!, expected });
  const num = (k: string, lo: number, hi: number, int = false) => {
    if (!q.has(k)) return undefined;
    const raw = q.get(k)!.trim();
    const v = Number(raw);
    if (raw !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v))) return v;
    bad(k, (m) => (int ? m.pg.urlWhole(lo, hi) : m.pg.urlRange(lo, hi)));
    return undefined;
  };
  const pick = <T extends string>(k: string, options: readonly T[]) => {
    if (!q.has(k)) return undefined;
    const found = options.find((o) => o === q.get(k));
    if (found === undefined) bad(k, (m) => m.pg.urlOneOf(options.join(', ')));
    return found;
  };
  const flagOf = (k: string) => {
    if (!q.has(k)) return undefined;
    const v = q.get(k);
    if (v === 'true' || v === 'false') return v === 'true';
    bad(k, (m) => m.pg.urlOneOf('true, false'));
    return undefined;
  };
  c.dataset = pick('dataset', ['circle', 'xor', 'gauss', 'spiral', 'reg-plane', 'reg-gauss'] as const) ?? c.dataset;
  c.activation = pick('activation', ['relu', 'tanh', 'sigmoid', 'linear'] as const) ?? c.activation;
  c.optimizer = pick('optimizer', ['sgd', 'momentum', 'adam'] as const) ?? c.optimizer;
  c.regularization = pick('regularization', ['none', 'l1', 'l2'] as const) ?? c.regularization;
  c.noise = num('noise', 0, 50) ?? c.noise;
  c.trainRatio = num('trainRatio', 10, 90, true) ?? c.trainRatio;
  c.batchSize = num('batchSize', 1, 360, true) ?? c.batchSize;
  c.lr = num('lr', 1e-6, 10) ?? c.lr;
  c.regRate = num('regRate', 0, 10) ?? c.regRate;
  c.seed = num('seed', 0, 1e9, true) ?? c.seed;
  view.discretize = flagOf('discretize') ?? view.discretize;
  view.showTest = flagOf('showTest') ?? view.showTest;
  const f = q.get('features');
  if (f !== null) {
    const names = f.split(',');
    if (names.length > 0 && names.every((n) => n in FEATURES)) c.features = [...new Set(names)];
    else bad('features', (m) => m.pg.urlFeatures(Object.keys(FEATURES).join(', ')));
  }
  const h = q.get('hidden');
  if (h !== null) {
    const sizes = h === '' ? [] : h.split(',').map(Number);
    if (sizes.length <= MAX_LAYERS && sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_NEURONS)) c.hidden = sizes;
    else bad('hidden', (m) => m.pg.urlHidden(MAX_LAYERS, MAX_NEURONS));
  }
  return { cfg: c, view, problems };
}

function toUrl(c: PlaygroundConfig, view: View): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries({ ...c, ...view })) q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
}

/**
 * Tick values for a log axis over these losses: powers of ten over many decades, 1-2-5 steps over
 * one or two, and a few round values inside a narrow range (where a log axis would show none).
 */
function logTicks(values: number[]): number[] {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return [];
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const decades = Math.log10(hi / lo);
  const k0 = Math.floor(Math.log10(lo));
  const k1 = Math.ceil(Math.log10(hi));
  const inside = (t: number[]) => t.filter((x) => x >= lo * 0.999 && x <= hi * 1.001);
  if (decades >= 3) {
    const step = Math.ceil((k1 - k0 + 1) / 6);
    return inside(Array.from({ length: k1 - k0 + 1 }, (_, i) => 10 ** (k0 + i)).filter((_, i) => (k1 - k0 - i) % step === 0));
  }
  if (decades >= 1) return inside(Array.from({ length: k1 - k0 + 1 }, (_, i) => [1, 2, 5].map((m) => m * 10 ** (k0 + i))).flat());
  // as few significant digits as keep the ticks apart
  for (let digits = 2; ; digits++) {
    const ticks = [...new Set(Array.from({ length: 4 }, (_, j) => Number((lo * (hi / lo) ** (j / 3)).toPrecision(digits))))];
    if (ticks.length >= 3 || digits >= 4) return ticks;
  }
}

/** A tick label as short as its value allows: 0.0001, 0.58, 0.687, 1e-7. */
const tickLabel = (d: number) => String(Number(d.toPrecision(4)));

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
  const { cfg, view, problems } = fromUrl();
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
      ['linear', tr((m) => m.pg.linear)],
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
  // settings in the address that could not be used are named, in the page's words
  const urlError = el('p', { class: 'error', id: 'pg-url-error', role: 'alert' });
  if (problems.length)
    live(urlError, () => [
      t().pg.urlBad,
      ...problems.map((p, i) =>
        el('span', {}, i ? ' · ' : '', el('code', {}, `${p.key}=${quoted(p.value)}`), ` (${t().pg.urlExpected(p.expected(t()))})`),
      ),
    ]);
  // how the output is drawn: as a class only, and with or without the test points
  const viewBox = (id: string, on: boolean, label: (m: Messages) => string) => {
    const box = el('input', { type: 'checkbox', id });
    box.checked = on;
    return [el('label', { for: id, class: 'check' }, box, tr(label)), box] as const;
  };
  const [discL, disc] = viewBox('pg-discretize', view.discretize, (m) => m.pg.discretize);
  const [testL, showTest] = viewBox('pg-show-test', view.showTest, (m) => m.pg.showTest);
  const share = el(
    'button',
    { class: 'secondary', id: 'pg-share', type: 'button' },
    tr((m) => m.pg.share),
  );
  const shareOut = el('p', { class: 'note', id: 'pg-share-out', 'aria-live': 'polite' });
  // hovering a weight shows it here, to read and to change
  const weightField = numberField(
    el(
      'span',
      { id: 'pg-weight-what' },
      tr((m) => m.pg.weightWhat),
    ),
    'pg-weight-value',
    '0',
    {
      what: (m) => m.pg.weightWhat,
      min: -100,
      max: 100,
    },
  );
  const weightBox = el('div', { class: 'controls', id: 'pg-weight', hidden: '' }, weightField.label);
  let weightAt: { layer: number; index: number; base: number; text: (m: Messages) => string } | undefined;
  // hovering a hidden unit shows its picture on the big plot
  let preview: { layer: number; unit: number } | undefined;
  s.append(
    el('div', { class: 'controls' }, dsL, noise.label, ratio.label, bs.label, regen),
    features,
    el('div', { class: 'controls' }, actL, optL, lr.label, regL, regRate.label),
    layersBox,
    el('div', { class: 'controls' }, play, step, reset),
    status,
    urlError,
    net,
    weightBox,
    el('div', { class: 'controls' }, discL, testL, share),
    shareOut,
    plots,
  );

  const hidden = [...cfg.hidden];
  let running = false;
  // while a setting is wrong, the status keeps saying so (states arriving do not overwrite it)
  let invalid = false;
  let last: State | undefined;
  let frame = false;
  const drawLayers = () => {
    const m = t().pg;
    // the buttons are made anew: the one that had the focus (or, disabled now, its partner) gets it back
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const inBox = document.activeElement !== null && layersBox.contains(document.activeElement);
    const add = el(
      'button',
      { type: 'button', class: 'secondary', id: 'pg-add-layer', 'data-key': 'add-layer', 'aria-label': m.addLayerAria },
      m.addLayer,
    );
    const remove = el(
      'button',
      { type: 'button', class: 'secondary', id: 'pg-remove-layer', 'data-key': 'remove-layer', 'aria-label': m.removeLayerAria },
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
      const plus = el(
        'button',
        { type: 'button', class: 'secondary small', 'data-key': `plus:${i}`, 'aria-label': m.addNeuron(i + 1) },
        '+',
      );
      const minus = el(
        'button',
        { type: 'button', class: 'secondary small', 'data-key': `minus:${i}`, 'aria-label': m.removeNeuron(i + 1) },
        '−',
      );
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
    if (inBox && focused) {
      const partner: Record<string, string> = { 'add-layer': 'remove-layer', 'remove-layer': 'add-layer' };
      const [kind, i] = focused.split(':');
      const other = partner[focused] ?? `${kind === 'plus' ? 'minus' : 'plus'}:${i}`;
      const find = (k: string) => layersBox.querySelector<HTMLButtonElement>(`button[data-key="${k}"]:not(:disabled)`);
      (find(focused) ?? find(other) ?? find('add-layer') ?? find('remove-layer'))?.focus();
    }
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
    invalid = !c;
    if (!c) {
      worker.postMessage({ lesson: 'playground', type: 'pg-pause' });
      setPlaying(false);
      live(status, () => [el('span', { class: 'error' }, t().pg.fix)]);
      return false;
    }
    toUrl(c, view);
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
      invalid = true;
      live(status, () => [el('span', { class: 'error' }, t().pg.fix)]);
    }
  });
  step.addEventListener('click', () => {
    if (!read()) return;
    setPlaying(false);
    worker.postMessage({ lesson: 'playground', type: 'pg-step' });
  });

  const viewChanged = () => {
    view.discretize = disc.checked;
    view.showTest = showTest.checked;
    const c = read();
    if (c) toUrl(c, view);
    if (last) drawPlots(last);
  };
  disc.addEventListener('change', viewChanged);
  showTest.addEventListener('change', viewChanged);
  share.addEventListener('click', async () => {
    const c = read();
    if (!c) {
      invalid = true;
      live(status, () => [el('span', { class: 'error' }, t().pg.fix)]);
      return;
    }
    toUrl(c, view);
    const link = location.href;
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);
      copied = true;
    } catch {}
    const input = el('input', { id: 'pg-share-link', type: 'text', readonly: '', value: link });
    live(shareOut, () => [el('label', { for: 'pg-share-link' }, copied ? t().pg.copied : t().pg.copyThis), ' ', input]);
    const shown = document.getElementById('pg-share-link') as HTMLInputElement | null;
    shown?.select();
  });
  /** A unit or a weight pointed at, or focused: preview the unit, show the weight. */
  const hoverAt = (target: Element) => {
    const unit = target.closest('.pg-neuron');
    if (unit) {
      const next = { layer: Number(unit.getAttribute('data-layer')), unit: Number(unit.getAttribute('data-unit')) };
      if (preview?.layer !== next.layer || preview?.unit !== next.unit) {
        preview = next;
        if (last) drawPlots(last);
      }
    }
    const w = target.closest('.pg-weight-hit');
    if (w && last) {
      const layer = Number(w.getAttribute('data-layer'));
      const o = Number(w.getAttribute('data-out'));
      const i = Number(w.getAttribute('data-in'));
      const { shape, w: values } = last.weights[layer]!;
      const inp = shape[1]!;
      const two = !isRegression(last.cfg.dataset) && layer === last.weights.length - 1;
      // a classifier's two output logits show as one weight, their difference: edit the second
      const index = two ? inp + i : o * inp + i;
      const base = two ? values[i]! : 0;
      const from = layer === 0 ? last.cfg.features[i]! : null;
      const outputs = last.weights.length;
      weightAt = {
        layer,
        index,
        base,
        text: (m) =>
          m.pg.weightOf(from ?? m.pg.unitName(layer, i + 1), layer + 1 === outputs ? m.pg.output : m.pg.unitName(layer + 1, o + 1)),
      };
      live(document.getElementById('pg-weight-what')!, () => [weightAt!.text(t()), ' ']);
      weightBox.hidden = false;
      weightBox.dataset.layer = String(layer);
      weightBox.dataset.index = String(index);
      if (document.activeElement !== weightField.input) {
        weightField.input.value = (values[index]! - base).toFixed(3);
        flag(weightField.input, null);
      }
    }
  };
  net.addEventListener('pointerover', (e) => hoverAt(e.target as Element));
  net.addEventListener('focusin', (e) => hoverAt(e.target as Element));
  const leave = () => {
    if (!preview) return;
    preview = undefined;
    if (last) drawPlots(last);
  };
  net.addEventListener('pointerleave', leave);
  net.addEventListener('focusout', (e) => {
    if (!net.contains(e.relatedTarget as Node | null)) leave();
  });
  // Enter on a focused weight goes to its field, to type a new value
  net.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && (e.target as Element).closest('.pg-weight-hit')) {
      e.preventDefault();
      weightField.input.focus();
      weightField.input.select();
    }
  });
  weightField.input.addEventListener('change', () => {
    const v = weightField.read();
    if (v === undefined || !weightAt) return;
    worker.postMessage({
      lesson: 'playground',
      type: 'pg-set-weight',
      layer: weightAt.layer,
      index: weightAt.index,
      value: weightAt.base + v,
    });
  });

  const draw = (m: State) => {
    const msg = t().pg;
    const c = m.cfg;
    const reg = isRegression(c.dataset);
    const tr = m.trainLoss.at(-1)!;
    const te = m.testLoss.at(-1)!;
    if (!invalid)
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
        m.epoch >= MAX_EPOCHS ? el('span', { id: 'pg-capped' }, msg.capped(MAX_EPOCHS.toLocaleString('en'))) : '',
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
      role: 'group',
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
          // a wider, invisible line over each weight: the place to hover it
          svg.append(
            svgEl('line', {
              x1: x1 + S,
              y1: y1 + S / 2,
              x2,
              y2: y2 + S / 2,
              stroke: 'transparent',
              'stroke-width': 8,
              class: 'pg-weight-hit',
              'data-layer': li,
              'data-out': o,
              'data-in': i,
              'data-key': `w:${li}:${o}:${i}`,
              tabindex: 0,
              role: 'button',
              'aria-label': msg.weightAria(
                li === 0 ? c.features[i]! : msg.unitName(li, i + 1),
                li + 1 === m.weights.length ? msg.output : msg.unitName(li + 1, o + 1),
                fmt(w, 3),
              ),
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
        // ReLU and linear units are unbounded: scale each picture to its own largest value
        const scale = c.activation === 'relu' || c.activation === 'linear' ? Math.max(1e-6, ...vals.map(Math.abs)) : 1;
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
            'data-layer': li,
            'data-unit': k,
            'data-key': `unit:${li}:${k}`,
            tabindex: 0,
            role: 'button',
            'aria-label': msg.unitPreview(li + 1, k + 1),
          }),
        );
      });
    });
    const [ox, oy] = at(cols.length - 1, 0);
    const G = Math.round(Math.sqrt(m.output.length));
    const outMap = discrete(reg ? m.output : m.output.map((p) => 2 * p - 1));
    svg.append(
      svgEl('image', { x: ox, y: oy, width: S, height: S, href: heatmap(outMap, G, 1), class: 'pg-unit', preserveAspectRatio: 'none' }),
    );
    svg.append(svgEl('rect', { x: ox, y: oy, width: S, height: S, fill: 'none', stroke: '#1d232b' }));
    const label = svgEl('text', { x: ox, y: oy + S + 12, 'font-size': 11 });
    label.textContent = msg.output;
    svg.append(label);
    // the picture is drawn anew: a unit or weight that had the keyboard's focus keeps it
    const focused = net.contains(document.activeElement) ? document.activeElement?.getAttribute('data-key') : null;
    show(net, svg);
    if (focused) (svg.querySelector(`[data-key="${focused}"]`) as SVGElement | null)?.focus({ preventScroll: true });
    drawPlots(m);
  };
  /** The output as its class (or sign) alone, when asked. */
  const discrete = (values: Float32Array) => (view.discretize ? values.map((v) => (v >= 0 ? 1 : -1)) : values);
  /** The output over the plane with the data (or a hovered unit's picture), its legend, and the loss curves. */
  const drawPlots = (m: State) => {
    const msg = t().pg;
    const c = m.cfg;
    const reg = isRegression(c.dataset);
    const w = fitWidth(plots, 380);
    const pts = Array.from(m.targets, (t, i) => ({ x: m.points[2 * i]!, y: m.points[2 * i + 1]!, t, test: i >= m.nTrain })).filter(
      (p) => view.showTest || !p.test,
    );
    const unit = preview ? m.neurons[preview.layer]?.[preview.unit] : undefined;
    let out: Float32Array;
    if (unit) {
      // the unit's picture, in the colours of its small square
      const scale = c.activation === 'relu' || c.activation === 'linear' ? Math.max(1e-6, ...unit.map(Math.abs)) : 1;
      out = (c.activation === 'sigmoid' ? unit.map((v) => 2 * v - 1) : unit).map((v) => v / scale);
      plots.dataset.preview = `${preview!.layer}:${preview!.unit}`;
    } else {
      out = discrete(reg ? m.output : m.output.map((p) => 2 * p - 1));
      delete plots.dataset.preview;
    }
    const side = Math.round(Math.sqrt(out.length));
    const legend = el(
      'div',
      { id: 'pg-legend', class: 'note' },
      Plot.legend({
        color: { type: 'linear', domain: [-1, 0, 1], range: ['#e08a1e', '#ffffff', '#1f5fbf'] },
        width: Math.min(240, w),
        ticks: [-1, -0.5, 0, 0.5, 1],
        tickFormat: (d: number) => (d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '0'),
      }) as Element,
      el(
        'p',
        { id: 'pg-legend-text', style: `max-width: ${w}px` },
        unit ? msg.legendUnit(preview!.layer + 1, preview!.unit + 1) : reg ? msg.legendReg : msg.legendClass,
      ),
    );
    show(
      plots,
      el(
        'div',
        {},
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
              width: side,
              height: side,
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
        legend,
      ),
      m.trainLoss.length < 2
        ? el('p', { class: 'note', style: `width: ${w}px` }, msg.curvesLater)
        : chart({
            width: w,
            height: 240,
            // room for the longest tick label (0.0001) left of the axis
            marginLeft: 62,
            y: { type: 'log', label: msg.loss, grid: true, ticks: logTicks(m.trainLoss.concat(m.testLoss)), tickFormat: tickLabel },
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
      if (!m.running && running && (!Number.isFinite(m.trainLoss.at(-1)) || m.epoch >= MAX_EPOCHS)) setPlaying(false);
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
