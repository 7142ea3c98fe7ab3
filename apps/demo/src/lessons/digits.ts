// Lesson 7: a network trained on real handwritten digits, in the browser; draw one to test it.
import * as Plot from '@observablehq/plot';
import { chart, el, fitWidth, fmt, numberField, section, show } from '../ui.js';

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
      'A 784-128-10 network learns to read handwritten digits from 8,000 real MNIST images, right here in the browser; 2,000 more measure its accuracy. Then draw a digit and see what it thinks.',
    ),
  );
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
  const curve: Array<[number, number]> = [];
  const curveBox = el('div', {});
  s.append(
    el('div', { class: 'controls' }, ep.label, train),
    status,
    curveBox,
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
    if (m.type === 'digits-progress') {
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
      show(
        status,
        'trained · held-out accuracy ',
        el('strong', { id: 'digits-accuracy' }, `${(m.accuracy * 100).toFixed(2)}%`),
        ' — now draw a digit and press Recognise.',
      );
    } else if (m.type === 'digits-prediction') {
      const probs = Array.from(m.probs as Float32Array);
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
    curve.length = 0;
    show(curveBox);
    show(status, 'loading the digits and training…');
    worker.postMessage({ lesson: 'digits', type: 'digits-train', url: new URL('./digits.bin', document.baseURI).href, epochs, seed: 42 });
  });
  predict.addEventListener('click', () => {
    const px = toPixels(canvas);
    if (!px) {
      show(result, el('p', { class: 'error' }, 'Draw a digit first.'));
      return;
    }
    worker.postMessage({ lesson: 'digits', type: 'digits-predict', pixels: px }, [px.buffer]);
  });
}
