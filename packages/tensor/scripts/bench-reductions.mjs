// Reduction speed of two builds of @gd/tensor in one process, as ratios:
//   node scripts/bench-reductions.mjs <baseline dist> [<candidate dist>, default ./dist]
// ROUNDS=n sets the rounds (default 15), ONLY=regex the cases.
// Each build has its own WebAssembly memory. Rounds alternate between the builds (so a machine
// that slows down slows both), each round times a batch of calls, and the median per build is
// reported with the ratio baseline time / candidate time (above 1: the candidate is faster).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [baseDir, candDir = 'dist'] = process.argv.slice(2);
if (!baseDir) {
  console.error('usage: node scripts/bench-reductions.mjs <baseline dist> [<candidate dist>]');
  process.exit(2);
}
const load = async (dir) => {
  const g = await import(pathToFileURL(resolve(dir, 'index.js')).href);
  await g.ready();
  return g;
};
const builds = [await load(baseDir), await load(candDir)];

// Each case makes its inputs once per build and returns the call to time.
const cases = [
  [
    'sum [1e6] f32',
    (g) =>
      (
        (x) => () =>
          g.sum(x).dispose()
      )(g.rand([1e6])),
  ],
  [
    'sum [1e7] f32',
    (g) =>
      (
        (x) => () =>
          g.sum(x).dispose()
      )(g.rand([1e7])),
  ],
  [
    'mean [1e7] f64',
    (g) =>
      (
        (x) => () =>
          g.mean(x).dispose()
      )(g.rand([1e7], { dtype: 'float64' })),
  ],
  [
    'sum [1e7] i32',
    (g) =>
      (
        (x) => () =>
          g.sum(x).dispose()
      )(g.full([1e7], 3, 'int32')),
  ],
  [
    'sum axis 0 [1e4, 1000]',
    (g) =>
      (
        (x) => () =>
          g.sum(x, 0).dispose()
      )(g.rand([1e4, 1000])),
  ],
  [
    'sum axis 1 [1e4, 1000]',
    (g) =>
      (
        (x) => () =>
          g.sum(x, 1).dispose()
      )(g.rand([1e4, 1000])),
  ],
  [
    'mean axis 0 [1e6, 2]',
    (g) =>
      (
        (x) => () =>
          g.mean(x, 0).dispose()
      )(g.rand([1e6, 2])),
  ],
  [
    'sum axis 0 [64, 128] (a bias grad)',
    (g) =>
      (
        (x) => () =>
          g.sum(x, 0).dispose()
      )(g.rand([64, 128])),
  ],
  [
    'softmax rows [1000, 1000]',
    (g) =>
      (
        (x) => () =>
          g.softmax(x, -1).dispose()
      )(g.rand([1000, 1000])),
  ],
  [
    'softmax rows [64, 10]',
    (g) =>
      (
        (x) => () =>
          g.softmax(x, -1).dispose()
      )(g.rand([64, 10])),
  ],
  [
    'logSumExp row [1e6]',
    (g) =>
      (
        (x) => () =>
          g.logSumExp(x).dispose()
      )(g.rand([1e6])),
  ],
  [
    'logSoftmax axis 0 [1000, 1000]',
    (g) =>
      (
        (x) => () =>
          g.logSoftmax(x, 0).dispose()
      )(g.rand([1000, 1000])),
  ],
  [
    'sumOfSquares [1e7] f32',
    (g) =>
      (
        (x) => () =>
          g.sumOfSquares(x)
      )(g.rand([1e7])),
  ],
];

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`| case | baseline ms | candidate ms | baseline / candidate |`);
console.log(`| --- | ---: | ---: | ---: |`);
const only = new RegExp(process.env.ONLY ?? '');
for (const [name, make] of cases.filter(([n]) => only.test(n))) {
  const calls = builds.map((g) => make(g));
  // calls per round: about 20 ms of work on the baseline
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) calls[0]();
    if (performance.now() - t > 20 || reps > 1 << 16) break;
    reps *= 2;
  }
  const times = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of r % 2 ? [1, 0] : [0, 1]) {
      const t = performance.now();
      for (let i = 0; i < reps; i++) calls[k]();
      times[k].push((performance.now() - t) / reps);
    }
  }
  const [a, b] = times.map(median);
  console.log(`| ${name} | ${a.toFixed(4)} | ${b.toFixed(4)} | ${(a / b).toFixed(2)} |`);
}
