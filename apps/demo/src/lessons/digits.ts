// Lesson 7: a network trained on real handwritten digits, in the browser; draw one to test it.
import * as Plot from '@observablehq/plot';
import { chart, choice, el, fitWidth, fmt, numberField, section, show } from '../ui.js';

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
      'aria-label': `filter ${f + 1} of the first convolution, ${kh}×${kw} weights`,
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
    el(
      'p',
      { class: 'note' },
      `What the first convolution learned: its ${out} filters of ${kh}×${kw} weights, red positive, blue negative, white zero (one scale, ±${fmt(scale, 3)}). Each slides over the image and responds most where the ink matches its pattern of red and blue.`,
    ),
    el('div', { class: 'filter-row' }, ...figures),
  );
}

/** The 28×28 input the network read, grey levels exactly as it saw them. */
function inputImage(px: Float32Array): HTMLCanvasElement {
  const c = el('canvas', { id: 'digits-input', width: '28', height: '28', role: 'img', 'aria-label': 'the 28×28 image the network read' });
  const ctx = c.getContext('2d')!;
  for (let i = 0; i < 784; i++) {
    const v = Math.round(px[i]! * 255);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect(i % 28, Math.floor(i / 28), 1, 1);
  }
  return c;
}

/** MNIST-style preprocessing: the ink's bounding box scaled into 20×20, centred by mass in 28×28. */
function toPixels(canvas: HTMLCanvasElement): Float32Array | null {
  const ctx = canvas.getContext('2d')!;
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
  const sctx = small.getContext('2d')!;
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
    '7. Digits',
    el(
      'p',
      {},
      'A network learns to read handwritten digits from real MNIST images, right here in the browser; 2,000 more measure its accuracy. Then draw a digit and see what it thinks.',
    ),
    el(
      'p',
      {},
      'The MLP (784-128-10) sees each image as 784 unrelated numbers. The CNN (LeNet-5: two 5×5 convolutions with max pooling, then 400-120-84-10) slides small filters over the 28×28 image, so a stroke is recognised wherever it is; each of its epochs takes several seconds here. A few epochs give about 97 %; the full run in the terminal, ',
      el('code', {}, 'pnpm start --model cnn'),
      ', trains for 12 epochs and reaches 98.5 % or more on the same 2,000 held-out digits.',
    ),
  );
  const [kindLabel, kind] = choice('model', 'digits-model', [
    ['mlp', 'MLP (784-128-10)'],
    ['cnn', 'CNN (LeNet-5)'],
  ]);
  const ep = numberField('epochs', 'digits-epochs', '3', {
    what: 'the number of epochs',
    min: 1,
    max: 20,
    integer: true,
    maxReason: '(each takes a few seconds)',
  });
  const train = el('button', { id: 'digits-train', type: 'button' }, 'Train on the digits');
  const status = el('p', { class: 'readout', 'aria-live': 'polite', id: 'digits-status' }, 'Press “Train on the digits”.');
  const canvas = el('canvas', {
    id: 'digit-canvas',
    width: '280',
    height: '280',
    'aria-label': 'drawing area: draw a digit with a mouse, finger or pen, or press “Show a real digit”',
  });
  const sample = el('button', { class: 'secondary', type: 'button', id: 'digits-sample' }, 'Show a real digit');
  const sampleLabel = el('p', { class: 'note', id: 'digits-sample-label', 'aria-live': 'polite' });
  const predict = el('button', { id: 'digits-predict', type: 'button' }, 'Recognise');
  const clear = el('button', { class: 'secondary', type: 'button', id: 'digits-clear' }, 'Clear');
  const result = el('div', { id: 'digits-result' });
  const download = el('button', { id: 'digits-onnx', type: 'button', class: 'secondary', disabled: '' }, 'Download ONNX');
  const onnxStatus = el('p', { class: 'note', id: 'digits-onnx-status', 'aria-live': 'polite' });
  const filtersBox = el('div', {});
  const curve: Array<[number, number]> = [];
  let lastInput: Float32Array | undefined;
  let trainedKind = 'mlp';
  const curveBox = el('div', {});
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
      'Without a mouse or touch screen, “Show a real digit” puts one of the MNIST digits on the canvas for the network to read.',
    ),
    el('div', { class: 'row' }, el('div', {}, canvas, el('div', { class: 'controls' }, predict, clear, sample), sampleLabel), result),
  );

  const ctx = canvas.getContext('2d')!;
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
    sampleLabel.textContent = '';
  });
  // a keyboard alternative to drawing: paint a real digit, each of its 28×28 pixels as a 10×10 block
  let digits: Uint8Array | undefined;
  let next = 0;
  sample.addEventListener('click', async () => {
    try {
      digits ??= new Uint8Array(await (await fetch(new URL('./digits.bin', document.baseURI).href)).arrayBuffer());
    } catch {
      sampleLabel.textContent = 'The digits could not be loaded.';
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
    sampleLabel.textContent = `MNIST digit no. ${i + 1}, labelled ${digits[n * 784 + i]}. Press Recognise.`;
  });

  worker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data;
    if (m.lesson !== 'digits') return;
    if (m.type === 'digits-step') {
      show(status, `CNN: step ${m.step}/${m.total}${curve.length ? ` · epoch ${curve.length} loss ${fmt(curve.at(-1)![1])}` : ''}`);
    } else if (m.type === 'digits-progress' && Number.isNaN(m.accuracy)) {
      // the CNN reports its training loss per epoch; held-out accuracy is measured once, at the end
      curve.push([m.epoch, m.loss]);
      show(status, `CNN: epoch ${m.epoch}/${m.epochs} · loss ${fmt(m.loss)}`);
      show(
        curveBox,
        chart({
          width: fitWidth(s, 360),
          height: 180,
          y: { domain: [0, Math.max(...curve.map((d) => d[1]))], label: 'training loss' },
          x: { label: 'epoch', ticks: curve.map((d) => d[0]), tickFormat: 'd' },
          marks: [Plot.line(curve, { x: (d: number[]) => d[0], y: (d: number[]) => d[1], marker: 'dot' })],
        }) as Element,
      );
    } else if (m.type === 'digits-progress') {
      curve.push([m.epoch, m.accuracy]);
      show(status, `epoch ${m.epoch}/${m.epochs} · loss ${fmt(m.loss)} · held-out accuracy ${(m.accuracy * 100).toFixed(2)}%`);
      show(
        curveBox,
        chart({
          width: fitWidth(s, 360),
          height: 180,
          y: { domain: [Math.min(0.8, ...curve.map((d) => d[1] - 0.02)), 1], label: 'held-out accuracy' },
          // whole epochs only
          x: { label: 'epoch', ticks: curve.map((d) => d[0]), tickFormat: 'd' },
          marks: [Plot.line(curve, { x: (d: number[]) => d[0], y: (d: number[]) => d[1], marker: 'dot' })],
        }) as Element,
      );
    } else if (m.type === 'digits-done') {
      train.disabled = false;
      download.disabled = false;
      trainedKind = m.model;
      show(onnxStatus);
      if (m.filters) show(filtersBox, filterImages(m.filters, m.filterShape));
      show(
        status,
        `${m.model === 'cnn' ? 'CNN' : 'MLP'} trained · held-out accuracy `,
        el('strong', { id: 'digits-accuracy' }, `${(m.accuracy * 100).toFixed(2)}%`),
        ' — now draw a digit and press Recognise.',
      );
    } else if (m.type === 'digits-prediction') {
      const probs = Array.from(m.probs as Float32Array);
      const seen = lastInput ? el('figure', { class: 'digits-seen' }, inputImage(lastInput), el('figcaption', {}, 'what it read')) : null;
      const best = probs.indexOf(Math.max(...probs));
      show(
        result,
        el(
          'p',
          { class: 'readout' },
          'It reads: ',
          el('strong', { id: 'digit-prediction' }, String(best)),
          ` (${(probs[best]! * 100).toFixed(1)}%)`,
        ),
        seen,
        chart({
          width: fitWidth(s, 360),
          height: 200,
          y: { domain: [0, 1], label: 'probability' },
          x: { label: 'digit', type: 'band' },
          marks: [
            Plot.barY(
              probs.map((p, d) => ({ d, p })),
              { x: 'd', y: 'p', fill: (r: { d: number }) => (r.d === best ? '#e08a1e' : '#2f6fdf') },
            ),
            Plot.ruleY([0]),
          ],
        }) as Element,
      );
    } else if (m.type === 'digits-onnx') {
      download.disabled = false;
      const url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
      const a = el('a', { href: url, download: m.name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      show(
        onnxStatus,
        `Saved ${m.name} (${(m.bytes.byteLength / 1024).toFixed(0)} KB): open it with ONNX Runtime in Python, C++, Node or the browser.`,
      );
    } else if (m.type === 'digits-onnx-error') {
      download.disabled = false;
      show(onnxStatus, el('span', { class: 'error' }, m.message));
    } else if (m.type === 'error') {
      train.disabled = false;
      show(result, el('p', { class: 'error' }, m.message));
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
    show(status, 'loading the digits and training…');
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
      show(result, el('p', { class: 'error' }, 'Draw a digit first.'));
      return;
    }
    lastInput = px.slice();
    worker.postMessage({ lesson: 'digits', type: 'digits-predict', pixels: px }, [px.buffer]);
  });
  download.addEventListener('click', () => {
    download.disabled = true;
    show(onnxStatus, `exporting the ${trainedKind.toUpperCase()} to ONNX…`);
    worker.postMessage({ lesson: 'digits', type: 'digits-onnx' });
  });
}
