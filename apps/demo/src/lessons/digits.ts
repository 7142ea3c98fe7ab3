// Lesson 7: a network trained on real handwritten digits, in the browser; draw one to test it.
import * as Plot from '@observablehq/plot';
import { t, tr, trAttr } from '../i18n.js';
import { chart, choice, el, fitWidth, fmt, libraryError, live, numberField, section, show } from '../ui.js';

/** A diverging colour for w in [−1, 1]: blue for negative, white at zero, red for positive. */
function diverging(w: number): string {
  const t = Math.max(-1, Math.min(1, w));
  const [r, g, b] =
    t < 0
      ? [255 + t * (255 - 33), 255 + t * (255 - 102), 255 + t * (255 - 172)]
      : [255 - t * (255 - 178), 255 - t * (255 - 24), 255 - t * (255 - 43)];
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

/** The first convolution's kernels [out, 1, k, k] as small images, one shared colour scale. */
function filterImages(w: Float32Array, shape: number[]): HTMLElement {
  const [out, , kh, kw] = shape as [number, number, number, number];
  const scale = Math.max(1e-12, ...Array.from(w, Math.abs));
  const cell = 10;
  const figures = Array.from({ length: out }, (_, f) => {
    const c = el('canvas', {
      width: String(kw * cell),
      height: String(kh * cell),
      class: 'digits-filter',
      role: 'img',
      'aria-label': t().digits.filterAria(f + 1, kh, kw),
    });
    const ctx = c.getContext('2d')!;
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        ctx.fillStyle = diverging(w[f * kh * kw + y * kw + x]! / scale);
        ctx.fillRect(x * cell, y * cell, cell, cell);
      }
    }
    return el('figure', {}, c, el('figcaption', {}, String(f + 1)));
  });
  return el(
    'div',
    { id: 'digits-filters' },
    el('p', { class: 'note' }, t().digits.filters(out, kh, kw, fmt(scale, 3))),
    el('div', { class: 'filter-row' }, ...figures),
  );
}

/** The 28×28 input the network read, grey levels exactly as it saw them. */
function inputImage(px: Float32Array): HTMLCanvasElement {
  const c = el('canvas', { id: 'digits-input', width: '28', height: '28', role: 'img', 'aria-label': t().digits.inputAria });
  // read back (getImageData) by anyone checking what the network saw
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  for (let i = 0; i < 784; i++) {
    const v = Math.round(px[i]! * 255);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect(i % 28, Math.floor(i / 28), 1, 1);
  }
  return c;
}

/** MNIST-style preprocessing: the ink's bounding box scaled into 20×20, centred by mass in 28×28. */
function toPixels(canvas: HTMLCanvasElement): Float32Array | null {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const { width, height } = canvas;
  const img = ctx.getImageData(0, 0, width, height).data;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (img[4 * (y * width + x)]! > 30) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  const sctx = small.getContext('2d', { willReadFrequently: true })!;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, 28, 28);
  sctx.imageSmoothingQuality = 'high';
  const dw = bw * scale;
  const dh = bh * scale;
  sctx.drawImage(canvas, x0, y0, bw, bh, (28 - dw) / 2, (28 - dh) / 2, dw, dh);
  const data = sctx.getImageData(0, 0, 28, 28).data;
  const px = new Float32Array(784);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < 784; i++) {
    px[i] = data[4 * i]! / 255;
    mass += px[i]!;
    cx += (i % 28) * px[i]!;
    cy += Math.floor(i / 28) * px[i]!;
  }
  // shift so the centre of mass sits at the centre, as MNIST was made
  const sx = Math.round(13.5 - cx / mass);
  const sy = Math.round(13.5 - cy / mass);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const fx = x - sx;
      const fy = y - sy;
      if (fx >= 0 && fx < 28 && fy >= 0 && fy < 28) out[y * 28 + x] = px[fy * 28 + fx]!;
    }
  }
  return out;
}

export function digitsLesson(worker: Worker): void {
  const s = section(
    'lesson-digits',
    tr((m) => m.digits.title),
    el(
      'p',
      {},
      tr((m) => m.digits.p1),
    ),
    el(
      'p',
      {},
      tr((m) => m.digits.p2),
      el('code', {}, 'pnpm start --model cnn'),
      tr((m) => m.digits.p2end),
    ),
  );
  const [kindLabel, kind] = choice(
    tr((m) => m.digits.model),
    'digits-model',
    [
      ['mlp', 'MLP (784-128-10)'],
      ['cnn', 'CNN (LeNet-5)'],
    ],
  );
  const ep = numberField(
    tr((m) => m.digits.epochs),
    'digits-epochs',
    '3',
    {
      what: (m) => m.digits.epochsWhat,
      min: 1,
      max: 20,
      integer: true,
      maxReason: (m) => m.digits.epochsWhy,
    },
  );
  const train = el(
    'button',
    { id: 'digits-train', type: 'button' },
    tr((m) => m.digits.train),
  );
  const status = el('p', { class: 'readout', 'aria-live': 'polite', id: 'digits-status' });
  live(status, () => [t().digits.pressTrain]);
  const canvas = trAttr(
    el('canvas', {
      id: 'digit-canvas',
      width: '280',
      height: '280',
    }),
    'aria-label',
    (m) => m.digits.canvasAria,
  );
  const sample = el(
    'button',
    { class: 'secondary', type: 'button', id: 'digits-sample' },
    tr((m) => m.digits.sample),
  );
  const sampleLabel = el('p', { class: 'note', id: 'digits-sample-label', 'aria-live': 'polite' });
  const predict = el(
    'button',
    { id: 'digits-predict', type: 'button' },
    tr((m) => m.digits.predict),
  );
  const clear = el(
    'button',
    { class: 'secondary', type: 'button', id: 'digits-clear' },
    tr((m) => m.digits.clear),
  );
  const result = el('div', { id: 'digits-result' });
  const download = el(
    'button',
    { id: 'digits-onnx', type: 'button', class: 'secondary', disabled: '' },
    tr((m) => m.digits.download),
  );
  const onnxStatus = el('p', { class: 'note', id: 'digits-onnx-status', 'aria-live': 'polite' });
  const filtersBox = el('div', {});
  const curve: Array<[number, number]> = [];
  let lastLoss = '';
  let lastInput: Float32Array | undefined;
  let trainedKind = 'mlp';
  const curveBox = el('div', { id: 'digits-curve' });
  s.append(
    el('div', { class: 'controls' }, kindLabel, ep.label, train),
    status,
    curveBox,
    filtersBox,
    el('div', { class: 'controls' }, download),
    onnxStatus,
    el(
      'p',
      { class: 'note' },
      tr((m) => m.digits.keyboard),
    ),
    el('div', { class: 'row' }, el('div', {}, canvas, el('div', { class: 'controls' }, predict, clear, sample), sampleLabel), result),
  );

  // the drawing is read back (getImageData) at every Recognise: a context kept in memory for reading
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const wipe = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, 280, 280);
  };
  wipe();
  let drawing = false;
  let last: [number, number] | null = null;
  const point = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * 280) / r.width, ((e.clientY - r.top) * 280) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = point(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = point(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  window.addEventListener('pointerup', () => {
    drawing = false;
    last = null;
  });
  clear.addEventListener('click', () => {
    wipe();
    show(result);
    show(sampleLabel);
  });
  // a keyboard alternative to drawing: paint a real digit, each of its 28×28 pixels as a 10×10 block
  let digits: Uint8Array | undefined;
  let next = 0;
  sample.addEventListener('click', async () => {
    try {
      digits ??= new Uint8Array(await (await fetch(new URL('./digits.bin', document.baseURI).href)).arrayBuffer());
    } catch {
      live(sampleLabel, () => [t().digits.loadFailed]);
      return;
    }
    const n = 10_000;
    const i = (next++ * 997) % n;
    wipe();
    for (let k = 0; k < 784; k++) {
      const v = digits[i * 784 + k]!;
      if (v === 0) continue;
      ctx.fillStyle = `rgb(${v},${v},${v})`;
      ctx.fillRect((k % 28) * 10, Math.floor(k / 28) * 10, 10, 10);
    }
    show(result);
    const label = digits[n * 784 + i]!;
    live(sampleLabel, () => [t().digits.sampleLabel(i + 1, label)]);
  });

  worker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data;
    if (m.lesson !== 'digits') return;
    if (m.type === 'digits-step') {
      const epochLoss = curve.length ? ([curve.length, lastLoss] as const) : undefined;
      live(status, () => [t().digits.cnnStep(m.step, m.total) + (epochLoss ? t().digits.cnnStepEpoch(...epochLoss) : '')]);
    } else if (m.type === 'digits-progress') {
      // both models: held-out accuracy after each epoch
      curve.push([m.epoch, m.accuracy]);
      const points = curve.slice();
      curveBox.dataset.curve = JSON.stringify(points);
      const name = kind.value === 'cnn' ? 'CNN' : 'MLP';
      lastLoss = fmt(m.loss);
      live(status, () => [t().digits.mlpEpoch(name, m.epoch, m.epochs, fmt(m.loss), (m.accuracy * 100).toFixed(2))]);
      live(curveBox, () => [
        chart({
          width: fitWidth(s, 360),
          height: 180,
          y: { domain: [Math.min(0.8, ...points.map((d) => d[1] - 0.02)), 1], label: t().digits.heldOut },
          // whole epochs only
          x: { label: t().digits.epochAxis, ticks: points.map((d) => d[0]), tickFormat: 'd' },
          marks: [Plot.line(points, { x: (d: number[]) => d[0], y: (d: number[]) => d[1], marker: 'dot' })],
        }) as Element,
      ]);
    } else if (m.type === 'digits-done') {
      train.disabled = false;
      download.disabled = false;
      trainedKind = m.model;
      show(onnxStatus);
      if (m.filters) live(filtersBox, () => [filterImages(m.filters, m.filterShape)]);
      const name = m.model === 'cnn' ? 'CNN' : 'MLP';
      live(status, () => [
        t().digits.trained(name),
        el('strong', { id: 'digits-accuracy' }, `${(m.accuracy * 100).toFixed(2)}%`),
        t().digits.nowDraw,
      ]);
    } else if (m.type === 'digits-prediction') {
      const probs = Array.from(m.probs as Float32Array);
      const input = lastInput;
      const best = probs.indexOf(Math.max(...probs));
      live(result, () => [
        el(
          'p',
          { class: 'readout' },
          t().digits.reads,
          el('strong', { id: 'digit-prediction' }, String(best)),
          ` (${(probs[best]! * 100).toFixed(1)}%)`,
        ),
        input ? el('figure', { class: 'digits-seen' }, inputImage(input), el('figcaption', {}, t().digits.whatItRead)) : null,
        chart({
          width: fitWidth(s, 360),
          height: 200,
          y: { domain: [0, 1], label: t().digits.probability },
          x: { label: t().digits.digit, type: 'band' },
          marks: [
            Plot.barY(
              probs.map((p, d) => ({ d, p })),
              { x: 'd', y: 'p', fill: (r: { d: number }) => (r.d === best ? '#e08a1e' : '#2f6fdf') },
            ),
            Plot.ruleY([0]),
          ],
        }) as Element,
      ]);
    } else if (m.type === 'digits-onnx') {
      download.disabled = false;
      const url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
      const a = el('a', { href: url, download: m.name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      const kb = (m.bytes.byteLength / 1024).toFixed(0);
      live(onnxStatus, () => [t().digits.saved(m.name, kb)]);
    } else if (m.type === 'digits-onnx-error') {
      download.disabled = false;
      live(onnxStatus, () => [
        m.code === 'untrained'
          ? el('span', { class: 'error' }, t().digits.trainFirst)
          : libraryError(t().digits.onnxCannot(m.model), m.reason, t().explain.onnx, 'span'),
      ]);
    } else if (m.type === 'error') {
      train.disabled = false;
      live(result, () => [
        m.code === 'untrained' ? el('p', { class: 'error' }, t().digits.trainFirst) : libraryError('', m.message, t().explain.training),
      ]);
    }
  });
  train.addEventListener('click', () => {
    const epochs = ep.read();
    if (epochs === undefined) {
      ep.input.focus();
      return;
    }
    train.disabled = true;
    download.disabled = true;
    curve.length = 0;
    show(curveBox);
    show(filtersBox);
    show(onnxStatus);
    live(status, () => [t().digits.loading]);
    worker.postMessage({
      lesson: 'digits',
      type: 'digits-train',
      url: new URL('./digits.bin', document.baseURI).href,
      epochs,
      seed: 42,
      model: kind.value,
    });
  });
  predict.addEventListener('click', () => {
    const px = toPixels(canvas);
    if (!px) {
      live(result, () => [el('p', { class: 'error' }, t().digits.drawFirst)]);
      return;
    }
    lastInput = px.slice();
    worker.postMessage({ lesson: 'digits', type: 'digits-predict', pixels: px }, [px.buffer]);
  });
  download.addEventListener('click', () => {
    download.disabled = true;
    const name = trainedKind.toUpperCase();
    live(onnxStatus, () => [t().digits.exporting(name)]);
    worker.postMessage({ lesson: 'digits', type: 'digits-onnx' });
  });
}
