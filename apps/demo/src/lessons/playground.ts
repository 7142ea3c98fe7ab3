// Lesson 6: a playground — train an MLP on 2-D datasets, with the decision boundary live.
import * as Plot from '@observablehq/plot';
import { chart, choice, el, flag, fmt, numberField, readAll, section, show } from '../ui.js';
import type { PlaygroundConfig } from '../worker.js';

export function playgroundLesson(worker: Worker): void {
  const s = section(
    'lesson-playground',
    '6. Playground',
    el(
      'p',
      {},
      'Train a multi-layer network on two-dimensional data and watch its decision boundary form. The training runs in a Web Worker, so the page stays responsive.',
    ),
  );
  const [dsL, ds] = choice('dataset', 'pg-dataset', [
    ['circles', 'circles'],
    ['xor', 'XOR'],
    ['spirals', 'spirals'],
    ['blobs', 'Gaussian blobs'],
  ]);
  const noise = numberField('noise', 'pg-noise', '1', { what: 'the noise', min: 0, max: 10 });
  const hiddenIn = el('input', { id: 'pg-hidden', type: 'text', size: '8', value: '16, 16' });
  const [actL, act] = choice('activation', 'pg-activation', [
    ['tanh', 'tanh'],
    ['relu', 'ReLU'],
    ['sigmoid', 'sigmoid'],
  ]);
  const [optL, opt] = choice('optimizer', 'pg-optimizer', [
    ['adam', 'Adam'],
    ['momentum', 'SGD + momentum'],
    ['sgd', 'SGD'],
  ]);
  const lr = numberField('step η', 'pg-lr', '0.03', { what: 'the step η', min: 0, above: true, max: 10 });
  const bs = numberField('batch', 'pg-batch', '16', {
    what: 'the batch size',
    min: 1,
    max: 400,
    integer: true,
    maxReason: '(there are 400 points)',
  });
  const ep = numberField('epochs', 'pg-epochs', '100', { what: 'the number of epochs', min: 1, max: 1000, integer: true });
  const train = el('button', { id: 'pg-train', type: 'button' }, 'Train');
  const status = el('p', { class: 'readout', 'aria-live': 'polite' }, 'Press Train.');
  const charts = el('div', { class: 'row' });
  s.append(
    el(
      'div',
      { class: 'controls' },
      dsL,
      noise.label,
      el('label', { for: 'pg-hidden' }, 'hidden layers', hiddenIn),
      actL,
      optL,
      lr.label,
      bs.label,
      ep.label,
      train,
    ),
    status,
    charts,
  );
  const losses: Array<[number, number]> = [];

  worker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data;
    if (m.lesson !== 'playground') return;
    if (m.type === 'error') {
      train.disabled = false;
      show(status, el('span', { class: 'error' }, `Training stopped: ${m.message}`));
    } else if (m.type === 'pg-progress') {
      if (Number.isFinite(m.loss)) losses.push([m.epoch, m.loss]);
      show(
        status,
        `epoch ${m.epoch} · loss ${Number.isFinite(m.loss) ? fmt(m.loss) : '—'} · accuracy `,
        el('strong', { id: 'pg-accuracy' }, `${(m.accuracy * 100).toFixed(1)}%`),
      );
      const points = Array.from(m.y as Int32Array, (label, i) => ({ x: m.x[2 * i], y: m.x[2 * i + 1], label: String(label) }));
      show(
        charts,
        chart({
          width: 400,
          height: 400,
          x: { domain: [-1.3, 1.3] },
          y: { domain: [-1.3, 1.3] },
          color: { type: 'diverging', scheme: 'RdBu', domain: [0, 1], pivot: 0.5 },
          marks: [
            Plot.raster(Array.from(m.grid as Float32Array), {
              x1: -1.3,
              x2: 1.3,
              y1: -1.3,
              y2: 1.3,
              width: 48,
              height: 48,
              fill: (d: number) => d,
              imageRendering: 'pixelated',
            }),
            Plot.dot(points, {
              x: 'x',
              y: 'y',
              r: 3,
              stroke: '#000',
              strokeWidth: 0.6,
              fill: (d: { label: string }) => (d.label === '1' ? '#1f5fbf' : '#c0392b'),
            }),
          ],
        }) as Element,
        chart({
          width: 360,
          height: 260,
          y: { type: 'log', label: 'loss' },
          x: { label: 'epoch' },
          marks: [Plot.line(losses, { x: (d: number[]) => d[0], y: (d: number[]) => d[1], stroke: '#2f6fdf' })],
        }) as Element,
      );
    } else if (m.type === 'pg-done') {
      train.disabled = false;
      status.append(' · done');
      status.setAttribute('data-done', 'true');
    }
  });
  const readHidden = (): number[] | undefined => {
    const parts = hiddenIn.value.split(/[,\s]+/).filter(Boolean);
    const bad = parts.find((t) => !/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 64);
    const message =
      parts.length === 0
        ? 'Give at least one hidden layer, like 8, 8.'
        : bad !== undefined
          ? `“${bad}” is not a layer size: each layer needs a whole number of neurons from 1 to 64.`
          : parts.length > 6
            ? 'At most 6 hidden layers.'
            : null;
    flag(hiddenIn, message);
    return message ? undefined : parts.map(Number);
  };
  hiddenIn.addEventListener('input', readHidden);
  train.addEventListener('click', () => {
    const hidden = readHidden();
    const values = readAll(noise, lr, bs, ep);
    if (!hidden) hiddenIn.focus();
    if (!hidden || !values) return;
    const [noiseV, lrV, bsV, epV] = values as [number, number, number, number];
    losses.length = 0;
    train.disabled = true;
    status.removeAttribute('data-done');
    const cfg: PlaygroundConfig = {
      dataset: ds.value as PlaygroundConfig['dataset'],
      noise: noiseV,
      hidden,
      activation: act.value as PlaygroundConfig['activation'],
      optimizer: opt.value as PlaygroundConfig['optimizer'],
      lr: lrV,
      batchSize: bsV,
      epochs: epV,
      seed: 1,
    };
    show(status, 'training…');
    worker.postMessage({ lesson: 'playground', type: 'pg-train', cfg });
  });
}
