import { conv2d, manualSeed, maxPool2d, memory, randn, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, Conv2d, Flatten, Linear, loadSafetensors, MaxPool2d, ReLU, Sequential, saveSafetensors } from '../src/index.js';

describe('convolution layers', () => {
  it('Conv2d: PyTorch shapes, keys and init bound 1/√(inC/groups·kH·kW)', () => {
    manualSeed(1);
    const conv = new Conv2d(6, 40, [3, 5], { groups: 2 });
    expect(conv.namedParameters().map(([k, p]) => `${k}:${p.shape.join('x')}`)).toEqual(['weight:40x3x3x5', 'bias:40']);
    const bound = 1 / Math.sqrt(3 * 3 * 5);
    for (const p of conv.parameters()) {
      const d = Array.from(p.value.data());
      expect(Math.max(...d)).toBeLessThanOrEqual(bound);
      expect(Math.min(...d)).toBeGreaterThanOrEqual(-bound);
      // the extremes come close to the bound: the spread is the bound, not something smaller
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    }
    expect(new Conv2d(1, 2, 3, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
  });

  it('Conv2d.forward is conv2d with its weight, bias and options', () => {
    manualSeed(2);
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1 });
    scope(() => {
      const x = randn([2, 2, 7, 7]);
      const y = conv.forward(x);
      const ref = conv2d(x, conv.weight.value, conv.bias!.value, { stride: 2, padding: 1 });
      expect(y.shape).toEqual([2, 3, 4, 4]);
      expect(Array.from(y.value.data())).toEqual(Array.from(ref.data()));
    });
  });

  it('pooling layers', () => {
    const x = tensor([
      [
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
          [9, 10, 11, 12],
          [13, 14, 15, 16],
        ],
      ],
    ]);
    expect(new MaxPool2d(2).forward(x).value.toArray()).toEqual([
      [
        [
          [6, 8],
          [14, 16],
        ],
      ],
    ]);
    expect(new AvgPool2d(2).forward(x).value.toArray()).toEqual([
      [
        [
          [3.5, 5.5],
          [11.5, 13.5],
        ],
      ],
    ]);
    expect(Array.from(new MaxPool2d(3, { stride: 1 }).forward(x).value.data())).toEqual(Array.from(maxPool2d(x, 3, { stride: 1 }).data()));
    expect(() => new MaxPool2d(0)).toThrow(ValueError);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups 2/);
  });

  it('a LeNet round-trips through safetensors under PyTorch keys; its training memory stays flat', () => {
    manualSeed(3);
    const make = () =>
      new Sequential(new Conv2d(1, 4, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 14 * 14, 10));
    const net = make();
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '4.weight', '4.bias']);
    const copy = make();
    loadSafetensors(copy, saveSafetensors(net));
    scope(() => {
      const x = randn([3, 1, 28, 28]);
      expect(Array.from(copy.forward(x).value.data())).toEqual(Array.from(net.forward(x).value.data()));
    });
    const x = randn([8, 1, 28, 28]);
    const step = () =>
      scope(() => {
        const loss = net.forward(x).square().mean();
        loss.backward();
        for (const p of net.parameters()) p.zeroGrad();
      });
    step();
    const before = memory();
    for (let i = 0; i < 50; i++) step();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  });
});
