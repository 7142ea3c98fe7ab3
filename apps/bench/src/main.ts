// `pnpm bench`: gd against TensorFlow.js (wasm, cpu) and jax-js on the same workloads, in one run;
// `pnpm bench --browser` runs them in headless Chromium instead (src/browser.ts).
// A side-effect import first: it filters TensorFlow.js's Node banner before the library loads.
import './quiet-tfjs.js';

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { readDigits } from '@gd/lessons/mnist';
import { trainingBar } from '@gd/lessons/progress';
import { kernelsInfo, manualSeed, ready, setThreads } from '@gd/tensor';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GPT, gptMemoryOverSteps, gptVersusMatmul } from './gpt.js';
import { DEFAULT_SIZES, formatTable, measure, type Row, type Stats, type Workload } from './harness.js';
import { JAX_VERSION } from './jax.js';
import { LSTM_ROW, lstmMemoryOverSteps, lstmValues } from './lstm.js';
import { type Batch, matmul, memoryOverSteps, useBackend } from './peers.js';
import { ratioChart } from './svg.js';
import { workloads } from './workloads.js';

const { values: args } = parseArgs({
  // `pnpm start -- --seed 7` passes the `--` through; it is not an argument
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sizes: { type: 'string' },
    browser: { type: 'boolean', default: false },
    simd: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    'simd-child': { type: 'string' },
    'min-ms': { type: 'string' },
    out: { type: 'string', default: 'bench-results/latest.json' },
    svg: { type: 'string', default: 'bench-results/ratios.svg' },
  },
});
const quick = args.quick;
const rounds = quick ? 3 : 7;
const minMs = quick ? 60 : 200;

if (args['simd-child']) {
  const { simdChild } = await import('./simd.js');
  const build = args['simd-child'];
  if (build !== 'relaxed' && build !== 'plain') throw new Error(`--simd-child: relaxed or plain, got ${build}`);
  await simdChild(build, Number(args.sizes ?? 1024), Number(args['min-ms'] ?? minMs));
  process.exit(0);
}
if (args.simd) {
  const { simdCompare } = await import('./simd.js');
  simdCompare(args.sizes ? args.sizes.split(',').map(Number) : [1024], rounds, minMs);
  process.exit(0);
}

const { images, labels } = readDigits();
const batchOf = (n: number): Batch => ({ x: images.subarray(0, n * 784), y: labels.subarray(0, n), n });

const sizes = args.sizes ? args.sizes.split(',').map(Number) : [...DEFAULT_SIZES[quick ? 'quick' : 'full']];
if (!sizes.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(`--sizes: expected positive integers separated by commas, got '${args.sizes}'`);
  process.exit(2);
}

// --only takes one group or several, separated by commas
const GROUPS = ['matmul', 'mlp', 'linefit', 'softmax-ce', 'lenet', 'lstm', 'conv', 'gpt', 'memory'];
const only = args.only?.split(',').map((g) => g.trim());
const unknown = only?.filter((g) => !GROUPS.includes(g)) ?? [];
if (unknown.length > 0) {
  console.error(`--only: unknown workload '${unknown.join(',')}'; choose among ${GROUPS.join(', ')} (commas for several)`);
  process.exit(2);
}

if (args.browser) {
  const { browserSizes, runInBrowser } = await import('./browser.js');
  await runInBrowser({ quick, rounds, minMs, sizes: browserSizes(quick, sizes, args.sizes !== undefined), only, out: args.out });
  process.exit(0);
}

const list: Workload[] = workloads({ sizes, peers: ['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js'], batchOf });
/** The same workload with gd on `threads()` threads (the peers as they are: one thread in Node). */
function onThreads(w: Workload, threads: () => number, label: string): Workload {
  return {
    ...w,
    label: `${w.label}, ${label}`,
    peers: w.peers.filter((p) => p !== 'tfjs-cpu'),
    make: (p) => {
      if (p !== 'gd') return w.make(p);
      setThreads(threads());
      const inst = w.make(p);
      return {
        run: () => inst.run(),
        dispose: () => {
          inst.dispose();
          setThreads(1);
        },
      };
    },
  };
}
const matmul1024: Workload = {
  group: 'matmul',
  label: 'matmul n=1024',
  unit: 'GFLOP/s',
  peers: ['gd', 'tfjs-wasm', 'jax-js'],
  metric: (ms) => (2 * 1024 ** 3) / ms / 1e6,
  make: (p) => matmul(p, 1024),
};
list.splice(
  sizes.length,
  0,
  onThreads(matmul1024, () => 2, 'gd on 2 threads'),
);
// the MLP step at batch 128, the LSTM and the GPT step also with gd on every thread that
// ready({ threads: 'auto' }) started, each row after its one-thread row
for (const pick of [
  (w: Workload) => w.label === 'MLP 784-128-10 step, batch 128',
  (w: Workload) => w.group === 'lstm',
  (w: Workload) => w.group === 'gpt',
]) {
  const w = list.find(pick);
  if (w)
    list.splice(
      list.indexOf(w) + 1,
      0,
      onThreads(w, () => allThreads, 'gd on all threads'),
    );
}
const selected = only ? list.filter((w) => only.includes(w.group)) : list;
const memoryWanted = !only || only.includes('memory');

// bytes in use along many training steps: flat unless a step leaks. The MLP step on gd and on
// tfjs-wasm (which counts its tensors' bytes), and gd's LSTM and GPT steps at the rows' sizes
const memoryChecks = [
  { label: 'MLP step, gd', peer: 'gd', steps: quick ? 1000 : 10_000, run: (n: number) => memoryOverSteps('gd', batchOf(32), n, n / 10) },
  {
    label: 'MLP step, tfjs-wasm',
    peer: 'tfjs-wasm',
    steps: quick ? 1000 : 10_000,
    run: (n: number) => memoryOverSteps('tfjs-wasm', batchOf(32), n, n / 10),
  },
  {
    label: 'LSTM step, gd',
    peer: 'gd',
    steps: quick ? 100 : 1000,
    run: (n: number) => lstmMemoryOverSteps(lstmValues(LSTM_ROW), n, n / 10),
  },
  { label: 'GPT step, gd', peer: 'gd', steps: quick ? 100 : 1000, run: (n: number) => gptMemoryOverSteps(GPT, n, n / 10) },
] as const;

// every core's thread is started (shared memory) but only the rows that say so use them; every
// other row runs gd on one thread, as tfjs-wasm and jax-js run in Node
await ready({ threads: 'auto' });
const allThreads = kernelsInfo().threads;
setThreads(1);
await useBackend('tfjs-wasm');
await useBackend('jax-js');

if (args.threads) {
  const { threadsCompare } = await import('./threads.js');
  threadsCompare(batchOf, allThreads, rounds, minMs);
  process.exit(0);
}

const rows: Row[] = [];
const totalSamples = selected.reduce((s, w) => s + w.peers.length * rounds, 0) + (memoryWanted ? memoryChecks.length : 0);
// drawn every 10 s into a log too: the workloads run synchronously, so no timer would fire
const bar = trainingBar('benchmarking |{bar}| {value}/{total} {task}', 10_000, process.stderr, { task: '' });
let samplesDone = 0;
const progress = (task: string) => bar.step(++samplesDone, totalSamples, { task });

for (const w of selected) {
  rows.push(
    await measure(w, {
      rounds,
      minMs,
      before: async (p) => {
        await useBackend(p);
        manualSeed(1);
      },
      after: (p) => progress(`${w.label} · ${p}`),
    }),
  );
}

let memoryReport: Record<string, { steps: number; samples: number[]; flat: boolean }> | undefined;
if (memoryWanted) {
  memoryReport = {};
  for (const check of memoryChecks) {
    bar.set({ task: `memory · ${check.label}` });
    await useBackend(check.peer);
    // gd's bytes in use do not depend on its threads: the long checks use them all
    setThreads(check.peer === 'gd' ? allThreads : 1);
    const samples = check.run(check.steps);
    setThreads(1);
    memoryReport[check.label] = { steps: check.steps, samples, flat: samples.every((s) => s === samples[0]) };
    progress(`memory · ${check.label}`);
  }
}
bar.stop();

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
console.log(
  `\ngd vs TensorFlow.js ${tf.version.tfjs} and jax-js ${JAX_VERSION} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}`,
);
console.log(`median (min–max) of ${rounds} rounds; in each round the peers run back to back and gd/peer is taken within the round;`);
console.log('every timing reads its result back to JS; a ratio > 1 means gd is faster\n');
console.log(formatTable(rows));
const gptLine = gptVersusMatmul(rows);
if (gptLine) console.log(gptLine);
if (memoryReport) {
  for (const [label, m] of Object.entries(memoryReport)) {
    console.log(
      `memory, ${label}: ${m.flat ? 'flat' : 'NOT flat'} over ${m.steps.toLocaleString('en-US')} steps (bytes in use every 10%: ${[...new Set(m.samples)].join(', ')})`,
    );
  }
}

mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify({ machine, tfjs: tf.version.tfjs, jax: JAX_VERSION, rounds, quick, rows, memory: memoryReport }, null, 2)}\n`,
);
mkdirSync(dirname(args.svg), { recursive: true });
writeFileSync(
  args.svg,
  ratioChart(
    // gd-only rows (the conv passes) have no ratio to draw
    rows
      .filter((r) => Object.keys(r.ratios).length > 0)
      .map((r) => ({
        label: r.workload,
        ratios: Object.entries(r.ratios).map(([peer, ratio]) => ({ peer, ratio: (ratio as Stats).median })),
      })),
    `gd speed relative to TensorFlow.js ${tf.version.tfjs} and jax-js ${JAX_VERSION} (${machine.date})`,
  ),
);
console.log(`\nwrote ${args.out} and ${args.svg}`);
