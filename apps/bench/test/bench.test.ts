import { memory } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { sample, stats } from '../src/harness.js';
import { type Batch, lineFit, matmul, memoryOverSteps, mlpStep, softmaxCE } from '../src/peers.js';
import { ratioChart } from '../src/svg.js';

const batch: Batch = { x: new Float32Array(8 * 784).map((_, i) => (i % 7) / 7), y: Int32Array.from({ length: 8 }, (_, i) => i % 10), n: 8 };

describe('harness', () => {
  it('stats: median, min and max', () => {
    expect(stats([5, 1, 3, 9, 7])).toEqual({ median: 5, min: 1, max: 9 });
  });
  it('sample: runs at least once after a warm-up and returns ms per run', () => {
    let runs = 0;
    const ms = sample(() => {
      runs++;
    }, 5);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(ms).toBeGreaterThanOrEqual(0);
  });
});

describe('gd workloads free what they allocate', () => {
  const cases: Array<[string, () => { run(): void; dispose(): void }]> = [
    ['matmul', () => matmul('gd', 33)],
    ['mlp step', () => mlpStep('gd', batch)],
    ['line fit', () => lineFit('gd')],
    ['softmax CE', () => softmaxCE('gd', 16, 10)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const before = memory();
      const inst = make();
      inst.run();
      inst.run();
      inst.dispose();
      expect(memory().bytesInUse).toBe(before.bytesInUse);
      expect(memory().tensors).toBe(before.tensors);
    });
  }
  it('the memory workload reports one flat level for gd', () => {
    const samples = memoryOverSteps('gd', batch, 50, 10);
    expect(samples).toHaveLength(5);
    expect(new Set(samples).size).toBe(1);
  });
});

describe('svg', () => {
  it('one labelled bar per ratio, a 1× line, escaped text', () => {
    const svg = ratioChart(
      [
        {
          label: 'a<b',
          ratios: [
            { peer: 'tfjs-wasm', ratio: 2 },
            { peer: 'tfjs-cpu', ratio: 20 },
          ],
        },
        { label: 'c', ratios: [{ peer: 'tfjs-wasm', ratio: 0.5 }] },
      ],
      'title & co',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>title &#38; co</title>');
    expect(svg).toContain('a&#60;b');
    expect((svg.match(/<rect /g) ?? []).length).toBe(2 + 3);
    expect(svg).toContain('0.50×');
    expect(svg).toContain('1× (same speed)');
  });
});
