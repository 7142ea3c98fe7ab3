import { gradcheck, type Variable } from '@gd/autograd';
import { crossEntropy } from '@gd/losses';
import type { Conv2d, Module } from '@gd/nn';
import { SGD } from '@gd/optim';
import { keep, manualSeed, randn, scope, slice, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { cnnAccuracy, lenet, randomShift, trainDigitsCnn } from '../src/cnn.js';
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

  it('LeNet-5 in float64: the float32 network to float rounding, finite differences to 1e-9, and it trains', () => {
    manualSeed(4);
    const m32 = lenet([12], {});
    const m64 = lenet([12], { dtype: 'float64' });
    for (const p of m64.parameters()) expect(p.dtype).toBe('float64');
    // the same weights: float32's, converted exactly
    m64.loadStateDict(Object.fromEntries(Object.entries(m32.stateDict()).map(([k, t]) => [k, t.cast('float64')])));
    const x = randn([3, 1, 28, 28], { dtype: 'float64' });
    const labels = tensor([3, 1, 4], { dtype: 'int32' });
    scope(() => {
      const y32 = m32.forward(x.cast('float32')).value.data();
      const y64 = m64.forward(x).value.data();
      const scale = Math.max(...Array.from(y64, Math.abs));
      for (let i = 0; i < y64.length; i++) expect(Math.abs(y32[i]! - y64[i]!)).toBeLessThan(1e-5 * scale);
      // the loss's gradient with respect to some first-layer weights and the input, through
      // both convolutions, poolings and dense layers
      const [conv0, ...rest] = m64.children() as [Conv2d, ...Module[]];
      const loss = (w: Variable, xi: Variable) =>
        crossEntropy(
          rest.reduce((h, m) => m.forward(h), xi.conv2d(w, conv0.bias!, { padding: 2 })),
          labels,
        );
      const r = gradcheck(loss, [conv0.weight.value, x], { maxElements: 40 });
      expect(r.dtype).toBe('float64');
      expect(r.ok, JSON.stringify(r)).toBe(true);
      // the loss is a scalar near 2: its rounding (~1e-16 per ulp) over 2ε leaves ~1e-10 absolute
      // in each derivative, far inside the default tolerances
      expect(r.maxAbsError, JSON.stringify(r)).toBeLessThan(1e-9);
    });
    // a few SGD steps in float64 lower the loss
    const opt = new SGD(m64.parameters(), { lr: 0.05 });
    const step = () =>
      scope(() => {
        opt.zeroGrad();
        const loss = crossEntropy(m64.forward(x), labels);
        loss.backward();
        opt.step();
        return loss.item();
      });
    const first = step();
    let last = first;
    for (let i = 0; i < 15; i++) last = step();
    expect(last).toBeLessThan(first / 2);
    for (const p of m64.parameters()) expect(p.value.dtype).toBe('float64');
    m32.dispose();
    m64.dispose();
  });

  it('a short training on a 2,000-image subset beats 90 % held-out', () => {
    const data = loadDigits(7);
    const small = {
      xTrain: keep(slice(data.xTrain, [0, 0], [2000, -1])),
      yTrain: keep(slice(data.yTrain, [0], [2000])),
      xTest: data.xTest,
      yTest: data.yTest,
    };
    // onEpoch is handed the model being trained: measured after the last epoch, it is the model returned
    const seen: Array<{ epoch: number; accuracy: number; model: unknown }> = [];
    const r = trainDigitsCnn(small, {
      seed: 7,
      epochs: 2,
      onEpoch: ({ epoch }, model) => seen.push({ epoch, accuracy: cnnAccuracy(model, small.xTest, small.yTest), model }),
    });
    expect(r.testAccuracy).toBeGreaterThan(0.9);
    expect(seen.map((e) => e.epoch)).toEqual([0, 1]);
    expect(seen.every((e) => e.model === r.model)).toBe(true);
    expect(seen[1]!.accuracy).toBe(r.testAccuracy);
  });
});
