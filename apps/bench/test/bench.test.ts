import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossEntropy } from '@gd/losses';
import { mlp } from '@gd/nn';
import { SGD } from '@gd/optim';
import { manualSeed, memory, scope, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { browserSizes, CONFIGS, describeConfig, serveStatic } from '../src/browser.js';
import { convFlops, convPass, convWorkloads, LENET_CONVS } from '../src/conv.js';
import {
  DEFAULT_SIZES,
  formatConfigTable,
  formatTable,
  interleaved,
  measure,
  type PeerName,
  type Row,
  ratio,
  sample,
  sampleAsync,
  stats,
  summarise,
  summariseBest,
} from '../src/harness.js';
import { type Batch, gdClassifierStep, lineFit, matmul, memoryOverSteps, mlpStep, softmaxCE } from '../src/peers.js';
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
  it('interleaved: alternating blocks see the same drift in the machine, so the ratio of two settings survives it', () => {
    // a fake clock: setting 1 costs 1 ms a run and setting 2 costs 0.5, both 3× slower from 150 to 400 ms
    let t = 0;
    let current = 0;
    const slow = () => (t >= 150 && t < 400 ? 3 : 1);
    const log: string[] = [];
    const settings = [1, 0.5].map((cost, i) => ({
      use: () => {
        current = i;
        log.push(`use ${i}`);
      },
      run: () => {
        t += cost * slow();
        if (current !== i) throw new Error('ran in the other setting');
      },
    }));
    const [one, two] = interleaved(settings, 200, 10, () => t);
    // within a block the factor is the same for both, so their ratio is the cost ratio (to the block edges)
    expect(Math.abs(one! / two! - 2)).toBeLessThan(0.1);
    expect(log.slice(0, 4)).toEqual(['use 0', 'use 1', 'use 0', 'use 1']);
    // the same runs timed one setting after the other (200 ms each) see the slow phase unequally
    t = 0;
    const perRun = (i: number) => {
      settings[i]!.use();
      const t0 = t;
      let n = 0;
      for (; t - t0 < 200; n++) settings[i]!.run();
      return (t - t0) / n;
    };
    const a = perRun(0);
    // setting 1: 150 runs at 1 ms, then 17 at 3 ms (to 201 ms); setting 2: 133 runs at 1.5 ms and one at
    // 0.5 (200 ms): the faster setting comes out slower
    expect(a / perRun(1)).toBeCloseTo(201 / 167 / (200 / 134), 10);
  });
});

describe('ratios, pairing and the table, against hand numbers', () => {
  it('ratio: > 1 when gd is faster, for rates and for times', () => {
    expect(ratio('GFLOP/s', 30, 10)).toBe(3);
    expect(ratio('samples/s', 10, 40)).toBe(0.25);
    expect(ratio('ms', 2, 6)).toBe(3);
  });
  it('summarise pairs rounds: the median of per-round ratios, not the ratio of medians', () => {
    // rounds: gd 10, 40, 20 GFLOP/s; the peer 10, 10, 40 → per round 1×, 4×, 0.5×
    const row = summarise(
      { label: 'm', group: 'matmul', unit: 'GFLOP/s' },
      new Map<PeerName, number[]>([
        ['gd', [10, 40, 20]],
        ['jax-js', [10, 10, 40]],
      ]),
    );
    expect(row.results.gd).toEqual({ median: 20, min: 10, max: 40 });
    expect(row.results['jax-js']).toEqual({ median: 10, min: 10, max: 40 });
    expect(row.ratios['jax-js']).toEqual({ median: 1, min: 0.5, max: 4 }); // the ratio of medians would say 2×
    expect(row.ratios.gd).toBeUndefined();
    // times: gd 2, 4 ms against 6, 4 ms → 3× and 1×
    const t = summarise(
      { label: 't', group: 'linefit', unit: 'ms' },
      new Map<PeerName, number[]>([
        ['gd', [2, 4]],
        ['tfjs-wasm', [6, 4]],
      ]),
    );
    expect(t.ratios['tfjs-wasm']).toEqual({ median: 3, min: 1, max: 3 });
  });
  it('summarise refuses unpaired rounds and a row without gd', () => {
    const w = { label: 'x', group: 'mlp', unit: 'ms' } as const;
    expect(() =>
      summarise(
        w,
        new Map<PeerName, number[]>([
          ['gd', [1, 2]],
          ['jax-js', [1]],
        ]),
      ),
    ).toThrow(/jax-js has 1 rounds, gd 2/);
    expect(() => summarise(w, new Map<PeerName, number[]>([['jax-js', [1]]]))).toThrow(/no gd/);
  });
  it('measure alternates the peers round by round and awaits asynchronous runs', async () => {
    const order: string[] = [];
    let pending = 0;
    const row = await measure(
      {
        group: 'mlp',
        label: 'fake',
        unit: 'ms',
        peers: ['gd', 'jax-js'],
        metric: (ms) => ms,
        make: (p) => ({
          run: () => {
            if (p === 'gd') return undefined;
            pending++;
            // settles once 1 ms has passed on performance.now()'s clock (a Node timer of 1 ms may
            // fire earlier on it: libuv measures from the start of its loop iteration)
            const t0 = performance.now();
            return new Promise<void>((r) => {
              const tick = () => {
                if (performance.now() - t0 < 1) return void setTimeout(tick, 1);
                pending--;
                r();
              };
              setTimeout(tick, 1);
            });
          },
          dispose: () => order.push(`dispose ${p}`),
        }),
      },
      { rounds: 2, minMs: 2, before: (p) => order.push(`before ${p}`) },
    );
    expect(order).toEqual([
      'before gd',
      'dispose gd',
      'before jax-js',
      'dispose jax-js',
      'before gd',
      'dispose gd',
      'before jax-js',
      'dispose jax-js',
    ]);
    expect(pending).toBe(0);
    // each awaited run lasts ≥ 1 ms (a timer), each synchronous one far less
    expect(row.results['jax-js']!.min).toBeGreaterThanOrEqual(1);
    expect(row.ratios['jax-js']!.median).toBeGreaterThan(1);
  });
  it('sampleAsync times a synchronous run like sample, and awaits a promise', async () => {
    let runs = 0;
    expect(await sampleAsync(() => void runs++, 2)).toBeGreaterThanOrEqual(0);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(await sampleAsync(() => new Promise((r) => setTimeout(r, 2)), 4)).toBeGreaterThanOrEqual(1.5);
  });
  it('summarise names the best peer: the fastest but gd, whichever way the unit points', () => {
    const rate = summarise(
      { label: 'r', group: 'mlp', unit: 'samples/s' },
      new Map<PeerName, number[]>([
        ['gd', [40, 40]],
        ['tfjs-wasm', [10, 12]],
        ['jax-js', [20, 10]],
      ]),
    );
    // medians: tfjs-wasm 12, jax-js 20 → jax-js; gd/jax per round 2×, 4×
    expect(rate.best).toEqual({ peer: 'jax-js', ratio: { median: 4, min: 2, max: 4 } });
    const time = summarise(
      { label: 't', group: 'linefit', unit: 'ms' },
      new Map<PeerName, number[]>([
        ['gd', [1]],
        ['tfjs-wasm', [3]],
        ['jax-js', [5]],
      ]),
    );
    expect(time.best?.peer).toBe('tfjs-wasm');
    expect(summarise({ label: 'g', group: 'conv', unit: 'ms' }, new Map<PeerName, number[]>([['gd', [1]]])).best).toBeUndefined();
  });
  it('summariseBest takes each peer in its better configuration and pairs the rounds across them', () => {
    // gd is faster isolated (30, 20, 40 vs 10, 10, 10); jax-js faster not isolated (10, 5, 20 vs 1, 1, 1)
    const row = summariseBest(
      { label: 'm', group: 'mlp', unit: 'samples/s' },
      new Map([
        [
          'isolated',
          new Map<PeerName, number[]>([
            ['gd', [30, 20, 40]],
            ['jax-js', [1, 1, 1]],
            ['tfjs-wasm', []],
          ]),
        ],
        [
          'plain',
          new Map<PeerName, number[]>([
            ['gd', [10, 10, 10]],
            ['jax-js', [10, 5, 20]],
          ]),
        ],
      ]),
      new Map([
        ['isolated', { 'tfjs-wasm': 'no kernel' }],
        ['plain', { 'tfjs-wasm': 'no kernel either' }],
      ]),
    );
    expect(row.config).toEqual({ gd: 'isolated', 'jax-js': 'plain' });
    expect(row.results.gd).toEqual({ median: 30, min: 20, max: 40 });
    expect(row.results['jax-js']).toEqual({ median: 10, min: 5, max: 20 });
    // round by round: 30/10, 20/5, 40/20 = 3, 4, 2
    expect(row.ratios['jax-js']).toEqual({ median: 3, min: 2, max: 4 });
    expect(row.best).toEqual({ peer: 'jax-js', ratio: { median: 3, min: 2, max: 4 } });
    expect(row.byConfig?.isolated?.['jax-js']?.median).toBe(1);
    expect(row.byConfig?.plain?.gd?.median).toBe(10);
    expect(row.unsupported).toEqual({ 'tfjs-wasm': 'no kernel' });
  });
  it('summariseBest: a peer that fails in one configuration only is taken from the other, not called unsupported', () => {
    const row = summariseBest(
      { label: 't', group: 'matmul', unit: 'ms' },
      new Map([
        ['a', new Map<PeerName, number[]>([['gd', [2]]])],
        [
          'b',
          new Map<PeerName, number[]>([
            ['gd', [4]],
            ['jax-js', [8]],
          ]),
        ],
      ]),
      new Map([['a', { 'jax-js': 'Float16Array is not defined' }]]),
    );
    expect(row.unsupported).toBeUndefined();
    expect(row.config).toEqual({ gd: 'a', 'jax-js': 'b' });
    // times: the shorter is better, gd 2 ms against jax-js 8 ms is 4×
    expect(row.ratios['jax-js']!.median).toBe(4);
  });
  it('formatTable: peers that ran, their ratio columns, threads in the headings, the best peer', () => {
    const rows: Row[] = [
      {
        workload: 'matmul n=64',
        group: 'matmul',
        unit: 'GFLOP/s',
        results: { gd: { median: 25.5, min: 20.2, max: 25.9 }, 'jax-js': { median: 12.75, min: 10, max: 13 } },
        ratios: { 'jax-js': { median: 2, min: 1.5, max: 2.59 } },
        best: { peer: 'jax-js', ratio: { median: 2, min: 1.5, max: 2.59 } },
      },
      {
        workload: 'line fit',
        group: 'linefit',
        unit: 'ms',
        results: { gd: { median: 6.91, min: 6.67, max: 8.94 }, 'jax-js': { median: 131, min: 113, max: 140 } },
        ratios: { 'jax-js': { median: 18.31, min: 15.54, max: 20.93 } },
      },
    ];
    expect(formatTable(rows, { gd: 1, 'jax-js': 2 }).split('\n')).toEqual([
      '| workload    | unit    | gd, 1 thread     | jax-js, 2 threads | gd/jax               | best peer | gd/best           |',
      '|-------------|---------|------------------|-------------------|----------------------|-----------|-------------------|',
      '| matmul n=64 | GFLOP/s | 25.5 (20.2–25.9) | 12.8 (10.0–13.0)  | 2.00× (1.50–2.59)    | jax-js    | 2.00× (1.50–2.59) |',
      '| line fit    | ms      | 6.91 (6.67–8.94) | 131 (113–140)     | 18.31× (15.54–20.93) | —         | —                 |',
    ]);
    expect(formatTable(rows.slice(1)).split('\n')[0]).toBe('| workload | unit | gd               | jax-js        | gd/jax               |');
  });
  it('formatTable names the configuration each cell was taken from; formatConfigTable shows them all', () => {
    const row: Row = {
      workload: 'mlp',
      group: 'mlp',
      unit: 'samples/s',
      results: { gd: { median: 300, min: 200, max: 400 }, 'jax-js': { median: 100, min: 50, max: 200 } },
      ratios: { 'jax-js': { median: 3, min: 2, max: 4 } },
      best: { peer: 'jax-js', ratio: { median: 3, min: 2, max: 4 } },
      config: { gd: 'isolated', 'jax-js': 'not isolated' },
      byConfig: {
        isolated: { gd: { median: 300, min: 200, max: 400 }, 'jax-js': { median: 10, min: 10, max: 10 } },
        'not isolated': { gd: { median: 100, min: 100, max: 100 }, 'jax-js': { median: 100, min: 50, max: 200 } },
      },
    };
    const threads: Record<string, Record<string, number>> = { isolated: { gd: 2, 'jax-js': 2 }, 'not isolated': { gd: 1, 'jax-js': 1 } };
    const line = formatTable([row], undefined, (c, p) => describeConfig(c, threads[c]![p])).split('\n')[2];
    expect(line).toBe(
      '| mlp      | samples/s | 300 (200–400) [isolated, 2 threads] | 100 (50.0–200) [not isolated, 1 thread] | 3.00× (2.00–4.00) | jax-js    | 3.00× (2.00–4.00) |',
    );
    expect(formatConfigTable([row], CONFIGS).split('\n')).toEqual([
      '| workload | unit      | gd, isolated | gd, not isolated | jax-js, isolated | jax-js, not isolated |',
      '|----------|-----------|--------------|------------------|------------------|----------------------|',
      '| mlp      | samples/s | 300 *        | 100              | 10.0             | 100 *                |',
    ]);
  });
  it("the matmul sizes: n = 1024 in the full run, and in the browser's quick run", () => {
    expect(DEFAULT_SIZES.full).toContain(1024);
    expect(browserSizes(true, [...DEFAULT_SIZES.quick], false)).toEqual([256, 1024]);
    expect(browserSizes(false, [...DEFAULT_SIZES.full], false)).toEqual([...DEFAULT_SIZES.full]);
    // --sizes is obeyed as given
    expect(browserSizes(true, [64], true)).toEqual([64]);
  });
});

describe('the isolated server of bench --browser', () => {
  it('serves files cross-origin isolated (or not, for the second page), and nothing outside its directories', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gd-bench-serve-'));
    mkdirSync(join(dir, 'page'));
    writeFileSync(join(dir, 'page', 'index.html'), '<p>hi</p>');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    const served: string[] = [];
    const server = await serveStatic({ '/': join(dir, 'page') }, { served });
    const plain = await serveStatic({ '/': join(dir, 'page') }, { isolated: false });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<p>hi</p>');
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect((await fetch(`${base}/%2e%2e/secret.txt`)).status).toBe(404);
      expect((await fetch(`${base}/missing.js`)).status).toBe(404);
      expect(served).toEqual(['/']);
      // the second page of the run: the same files, without the headers
      const other = await fetch(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/`);
      expect(await other.text()).toBe('<p>hi</p>');
      expect(other.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(other.headers.get('cross-origin-embedder-policy')).toBeNull();
    } finally {
      server.close();
      plain.close();
    }
  });
});

describe('gd workloads free what they allocate', () => {
  const cases: Array<[string, () => { run(): void; dispose(): void }]> = [
    ['matmul', () => matmul('gd', 33)],
    ['mlp step', () => mlpStep('gd', batch)],
    ['line fit', () => lineFit('gd')],
    ['softmax CE', () => softmaxCE('gd', 16, 10)],
    ['conv forward', () => convPass(LENET_CONVS[1]!, 'forward')],
    ['conv input-grad', () => convPass(LENET_CONVS[0]!, 'input-grad')],
    ['conv weight-grad', () => convPass(LENET_CONVS[1]!, 'weight-grad')],
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

describe("gd's recorded classifier step", () => {
  it('gives the eager step bit for bit: the same losses and parameters', () => {
    const x = tensor(batch.x, { shape: [batch.n, 784] });
    const y = tensor(batch.y);
    manualSeed(5);
    const eagerModel = mlp([784, 16, 10], { activation: 'relu' });
    const opt = new SGD(eagerModel, { lr: 0.1 });
    const eager: number[] = [];
    for (let i = 0; i < 4; i++)
      eager.push(
        scope(() => {
          opt.zeroGrad();
          const loss = crossEntropy(eagerModel.forward(x), y);
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
    manualSeed(5);
    const model = mlp([784, 16, 10], { activation: 'relu' });
    const params = model.parameters();
    const inst = gdClassifierStep(model, new SGD(model, { lr: 0.1 }), x.clone(), y.clone());
    const replayed = Array.from({ length: 4 }, () => inst.run() as number);
    expect(replayed).toEqual(eager);
    expect(eager[3]!).toBeLessThan(eager[0]!);
    eagerModel.parameters().forEach((p, i) => {
      expect(Array.from(params[i]!.value.data())).toEqual(Array.from(p.value.data()));
    });
    inst.dispose();
    opt.zeroGrad();
    opt.dispose();
    eagerModel.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('conv rows', () => {
  it('flops of the LeNet layers, by hand: 2·N·outC·oH·oW·C·kH·kW', () => {
    expect(LENET_CONVS.map(convFlops)).toEqual([2 * 32 * 8 * 28 * 28 * 1 * 25, 2 * 32 * 16 * 10 * 10 * 8 * 25]);
  });
  it('three passes per layer, gd only, and none without gd', () => {
    const rows = convWorkloads(['gd', 'jax-js']);
    expect(rows.map((w) => w.label)).toHaveLength(6);
    expect(rows.every((w) => w.group === 'conv' && w.peers.join() === 'gd')).toBe(true);
    // 10,035,200 flops in 1 ms is 10.0352 GFLOP/s
    expect(rows[0]!.metric(1)).toBeCloseTo(10.0352, 10);
    expect(convWorkloads(['jax-js'])).toEqual([]);
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
