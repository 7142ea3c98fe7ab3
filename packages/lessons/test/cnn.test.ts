import { keep, manualSeed, slice, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { lenet, randomShift, trainDigitsCnn } from '../src/cnn.js';
import { loadDigits } from '../src/mnist.js';

describe('the CNN lesson', () => {
  it('LeNet-5 has PyTorch Sequential keys and shapes', () => {
    expect(
      lenet()
        .namedParameters()
        .map(([k, p]) => `${k}:${p.shape.join('x')}`),
    ).toEqual([
      '0.weight:8x1x5x5',
      '0.bias:8',
      '3.weight:16x8x5x5',
      '3.bias:16',
      '7.weight:120x400',
      '7.bias:120',
      '9.weight:84x120',
      '9.bias:84',
      '11.weight:10x84',
      '11.bias:10',
    ]);
  });

  it('randomShift moves each image by at most the given pixels, zeros coming in', () => {
    manualSeed(3);
    const img = new Float32Array(2 * 784);
    img[14 * 28 + 14] = 1; // one lit pixel in the middle of image 0
    img[784 + 0] = 5; // and one in the corner of image 1
    const out = randomShift(tensor(img, { shape: [2, 1, 28, 28] }), 1).data();
    const lit = (k: number) => Array.from(out.slice(k * 784, (k + 1) * 784)).flatMap((v, i) => (v !== 0 ? [[i, v]] : []));
    const [[at, v]] = lit(0) as [[number, number]];
    expect(v).toBe(1);
    expect(Math.abs(Math.floor(at / 28) - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs((at % 28) - 14)).toBeLessThanOrEqual(1);
    // the corner pixel either stays in the image (moved by ≤ 1) or falls off the edge
    for (const [i, w] of lit(1) as Array<[number, number]>) {
      expect(w).toBe(5);
      expect(Math.floor(i / 28)).toBeLessThanOrEqual(1);
      expect(i % 28).toBeLessThanOrEqual(1);
    }
  });

  it('a short training on a 2,000-image subset beats 90 % held-out', () => {
    const data = loadDigits(7);
    const small = {
      xTrain: keep(slice(data.xTrain, [0, 0], [2000, -1])),
      yTrain: keep(slice(data.yTrain, [0], [2000])),
      xTest: data.xTest,
      yTest: data.yTest,
    };
    const r = trainDigitsCnn(small, { seed: 7, epochs: 2 });
    expect(r.testAccuracy).toBeGreaterThan(0.9);
  });
});
