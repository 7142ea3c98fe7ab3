// `pnpm bench`: gd against TensorFlow.js (wasm, cpu) on the same workloads, in one run.
// A side-effect import first: it filters TensorFlow.js's Node banner before the library loads.
import './quiet-tfjs.js';

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { readDigits } from '@gd/lessons/mnist';
import { manualSeed, ready, setThreads } from '@gd/tensor';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { SingleBar } from 'cli-progress';
import { type Instance, type Stats, sample, stats } from './harness.js';
import { type Batch, lineFit, matmul, memoryOverSteps, mlpStep, type PeerName, softmaxCE, useBackend } from './peers.js';
import { ratioChart } from './svg.js';

const { values: args } = parseArgs({
  // `pnpm start -- --seed 7` passes the `--` through; it is not an argument
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sizes: { type: 'string' },
    out: { type: 'string', default: 'bench-results/latest.json' },
    svg: { type: 'string', default: 'bench-results/ratios.svg' },
  },
});
const quick = args.quick;
const rounds = quick ? 3 : 7;
const minMs = quick ? 60 : 200;

/** A workload: the same work on every peer, and how to turn ms per run into its unit. */
interface Workload {
  group: 'matmul' | 'mlp' | 'linefit' | 'softmax-ce';
  label: string;
  unit: 'GFLOP/s' | 'samples/s' | 'ms';
  peers: PeerName[];
  metric: (ms: number) => number;
  make: (peer: PeerName) => Instance;
}

const { images, labels } = readDigits();
const batchOf = (n: number): Batch => ({ x: images.subarray(0, n * 784), y: labels.subarray(0, n), n });

const sizes = args.sizes ? args.sizes.split(',').map(Number) : quick ? [64, 256, 512] : [64, 128, 256, 512, 1024];
if (!sizes.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(`--sizes: expected positive integers separated by commas, got '${args.sizes}'`);
  process.exit(2);
}
const workloads: Workload[] = [];
for (const n of sizes) {
  workloads.push({
    group: 'matmul',
    label: `matmul n=${n}`,
    unit: 'GFLOP/s',
    // tfjs-cpu needs seconds per product beyond 256; it is left out there
    peers: n <= 256 ? ['gd', 'tfjs-wasm', 'tfjs-cpu'] : ['gd', 'tfjs-wasm'],
    metric: (ms) => (2 * n ** 3) / ms / 1e6,
    make: (p) => matmul(p, n),
  });
}
workloads.push({
  group: 'matmul',
  label: 'matmul n=1024, gd on 2 threads',
  unit: 'GFLOP/s',
  peers: ['gd', 'tfjs-wasm'],
  metric: (ms) => (2 * 1024 ** 3) / ms / 1e6,
  make: (p) => {
    if (p !== 'gd') return matmul(p, 1024);
    setThreads(2);
    const inst = matmul(p, 1024);
    return {
      run: () => inst.run(),
      dispose: () => {
        inst.dispose();
        setThreads(1);
      },
    };
  },
});
for (const b of [32, 128]) {
  workloads.push({
    group: 'mlp',
    label: `MLP 784-128-10 step, batch ${b}`,
    unit: 'samples/s',
    peers: ['gd', 'tfjs-wasm', 'tfjs-cpu'],
    metric: (ms) => (b * 1000) / ms,
    make: (p) => mlpStep(p, batchOf(b)),
  });
}
workloads.push({
  group: 'linefit',
  label: 'line fit, 1,000 GD iterations',
  unit: 'ms',
  peers: ['gd', 'tfjs-wasm', 'tfjs-cpu'],
  metric: (ms) => ms,
  make: (p) => lineFit(p),
});
for (const [r, c] of [
  [128, 10],
  [1024, 1000],
] as const) {
  workloads.push({
    group: 'softmax-ce',
    label: `softmax CE fwd+bwd [${r}, ${c}]`,
    unit: 'ms',
    peers: ['gd', 'tfjs-wasm', 'tfjs-cpu'],
    metric: (ms) => ms,
    make: (p) => softmaxCE(p, r, c),
  });
}
const selected = args.only ? workloads.filter((w) => w.group === args.only) : workloads;
const memoryWanted = !args.only || args.only === 'memory';
if (selected.length === 0 && !memoryWanted) {
  console.error(`--only: unknown workload '${args.only}'; choose matmul, mlp, linefit, softmax-ce or memory`);
  process.exit(2);
}

// two threads are started (shared memory) but only the 2-thread row uses them; every other row
// runs gd on one thread, as tfjs-wasm runs in Node
await ready({ threads: 2 });
setThreads(1);
await useBackend('tfjs-wasm');

interface Row {
  workload: string;
  group: string;
  unit: string;
  results: Partial<Record<PeerName, Stats>>;
  /** gd/peer per round (paired: measured back to back), summarised. */
  ratios: Partial<Record<PeerName, Stats>>;
}
const rows: Row[] = [];
const totalSamples = selected.reduce((s, w) => s + w.peers.length * rounds, 0) + (memoryWanted ? 2 : 0);
const bar = new SingleBar({
  format: 'benchmarking |{bar}| {value}/{total} {task}',
  noTTYOutput: true,
  notTTYSchedule: 10_000,
  clearOnComplete: true,
});
bar.start(totalSamples, 0, { task: '' });

for (const w of selected) {
  const perPeer = new Map<PeerName, number[]>(w.peers.map((p) => [p, []]));
  for (let r = 0; r < rounds; r++) {
    for (const p of w.peers) {
      await useBackend(p);
      manualSeed(1);
      const inst = w.make(p);
      perPeer.get(p)!.push(w.metric(sample(() => inst.run(), minMs)));
      inst.dispose();
      bar.increment({ task: `${w.label} · ${p}` });
    }
  }
  const results = Object.fromEntries([...perPeer].map(([p, xs]) => [p, stats(xs)])) as Row['results'];
  // the machine's speed drifts between rounds; gd and each peer run back to back within a
  // round, so the ratio is taken per round and then summarised
  const gdRounds = perPeer.get('gd')!;
  const ratios = Object.fromEntries(
    w.peers
      .filter((p) => p !== 'gd')
      .map((p) => [p, stats(perPeer.get(p)!.map((v, r) => (w.unit === 'ms' ? v / gdRounds[r]! : gdRounds[r]! / v)))]),
  ) as Row['ratios'];
  rows.push({ workload: w.label, group: w.group, unit: w.unit, results, ratios });
}

let memoryReport: Record<string, { samples: number[]; flat: boolean }> | undefined;
if (memoryWanted) {
  const steps = quick ? 1000 : 10_000;
  memoryReport = {};
  for (const p of ['gd', 'tfjs-wasm'] as const) {
    await useBackend(p);
    const samples = memoryOverSteps(p, batchOf(32), steps, steps / 10);
    memoryReport[p] = { samples, flat: samples.every((s) => s === samples[0]) };
    bar.increment({ task: `memory · ${p}` });
  }
}
bar.stop();

const ratioCell = (s: Stats | undefined) => (s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : '—');
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: Stats | undefined) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '—');
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
console.log(`\ngd vs TensorFlow.js ${tf.version.tfjs} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}`);
console.log(`median (min–max) of ${rounds} rounds; in each round the peers run back to back and gd/peer is taken within the round;`);
console.log('every timing reads its result back to JS; a ratio > 1 means gd is faster\n');
const header = ['workload', 'unit', 'gd', 'tfjs-wasm', 'tfjs-cpu', 'gd/wasm', 'gd/cpu'];
const table = rows.map((r) => [
  r.workload,
  r.unit,
  cell(r.results.gd),
  cell(r.results['tfjs-wasm']),
  cell(r.results['tfjs-cpu']),
  ratioCell(r.ratios['tfjs-wasm']),
  ratioCell(r.ratios['tfjs-cpu']),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) console.log(line(t));
if (memoryReport) {
  for (const [p, m] of Object.entries(memoryReport)) {
    console.log(
      `memory, ${p}: ${m.flat ? 'flat' : 'NOT flat'} over the steps (bytes in use every 10%: ${[...new Set(m.samples)].join(', ')})`,
    );
  }
}

mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify({ machine, tfjs: tf.version.tfjs, rounds, quick, rows, memory: memoryReport }, null, 2)}\n`);
mkdirSync(dirname(args.svg), { recursive: true });
writeFileSync(
  args.svg,
  ratioChart(
    rows.map((r) => ({
      label: r.workload,
      ratios: Object.entries(r.ratios).map(([peer, ratio]) => ({ peer, ratio: (ratio as Stats).median })),
    })),
    `gd speed relative to TensorFlow.js ${tf.version.tfjs} (${machine.date})`,
  ),
);
console.log(`\nwrote ${args.out} and ${args.svg}`);
