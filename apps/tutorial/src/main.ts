// `pnpm start`: the tutorial end to end in the terminal, with the real packages.
import { parseArgs } from 'node:util';
import { accuracy, backpropLesson, gradientDescentLesson, informationLesson, sgdLesson, trainDigits } from '@gd/lessons';
import { loadDigits } from '@gd/lessons/mnist';
import { trainingBar } from '@gd/lessons/progress';
import { mlp } from '@gd/nn';
import { loadSafetensorsFile, saveSafetensorsFile } from '@gd/nn/node';
import { isOptimizerName, optimizerNames } from '@gd/optim';
import { ready } from '@gd/tensor';
import { CNN_EPOCHS, cnnDigitsSection } from './cnn-section.js';
import { curvatureSection } from './curvature-section.js';
import { CATALOGUES, columns, padCols, pick, pickLang } from './messages.js';
import { reportOnnxAgreement } from './onnx.js';
import { POEM_EPOCHS, poemSection } from './poem.js';
import { sparkline } from './sparkline.js';

const { values: args } = parseArgs({
  // `pnpm start -- --seed 7` passes the `--` through; it is not an argument
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seed: { type: 'string', default: '42' },
    epochs: { type: 'string' },
    model: { type: 'string', default: 'mlp' },
    // the digit models' optimizer, a name of @gd/optim's registry
    optimizer: { type: 'string', default: 'adam' },
    out: { type: 'string', default: 'model.safetensors' },
    lang: { type: 'string' },
    poems: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const lang = pickLang(args.lang, process.env);
if (lang === undefined) {
  console.error(CATALOGUES.en.badLang(String(args.lang ?? process.env.GD_LANG)));
  process.exit(2);
}
const m = CATALOGUES[lang];
if (args.help) {
  console.log(m.usage(optimizerNames));
  process.exit(0);
}
if (args.model !== 'mlp' && args.model !== 'cnn' && args.model !== 'poem') {
  console.error(m.badModel(String(args.model)));
  process.exit(2);
}
if (!isOptimizerName(args.optimizer)) {
  console.error(m.badOptimizer(String(args.optimizer), optimizerNames));
  process.exit(2);
}
const optimizer = args.optimizer;
const seed = Number(args.seed);
const epochs = Number(args.epochs ?? (args.model === 'cnn' ? CNN_EPOCHS : args.model === 'poem' ? POEM_EPOCHS : 12));
for (const [k, v] of [
  ['seed', seed],
  ['epochs', epochs],
] as const) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(m.badInteger(k, String(args[k])));
    process.exit(2);
  }
}
const f = (x: number, d = 4) => (Math.abs(x) >= 1e6 ? x.toExponential(2) : x.toFixed(d));
const heading = (s: string) => console.log(`\n━━ ${s} ${'━'.repeat(Math.max(0, 74 - columns(s)))}`);

await ready();
const started = performance.now();

heading(m.h1);
for (const r of informationLesson()) {
  console.log(`${padCols(pick(m.distributions, r.name), 10)} p = [${r.p.map((v) => f(v, 3)).join(', ')}]`);
  console.log(
    `${''.padEnd(10)} I(x) = [${r.bits.map((v) => f(v, 3)).join(', ')}] ${m.bits}   H = ${f(r.entropy)} ${m.bits}   ${m.maxLog} = ${f(r.maximum)}`,
  );
}

heading(m.h2);
const gd = gradientDescentLesson(seed);
console.log(m.data(f(gd.data.exact.a), f(gd.data.exact.b)));
const padStartCols = (s: string, w: number) => ' '.repeat(Math.max(0, w - columns(s))) + s;
{
  const [c, r, it, a, b, l] = m.fitHeader as [string, string, string, string, string, string];
  console.log(
    `${padCols(c, 22)} ${padCols(r, 16)} ${padStartCols(it, 10)} ${padStartCols(a, 9)} ${padStartCols(b, 9)} ${padStartCols(l, 11)}`,
  );
}
for (const r of gd.runs) {
  console.log(
    `${padCols(pick(m.criteria, r.criterion), 22)} ${padCols(pick(m.reasons, r.reason), 16)} ${String(r.iterations).padStart(10)} ${f(r.a).padStart(9)} ${f(r.b).padStart(9)} ${r.loss.toExponential(4).padStart(11)}`,
  );
}

{
  const { float32: r32, float64: r64 } = gd.precision;
  console.log(`\n${m.precisionIntro}`);
  const [d, it, lc, da, db, l] = m.precisionHeader as [string, string, string, string, string, string];
  console.log(`${padCols(d, 9)} ${padStartCols(it, 10)} ${padStartCols(lc, 18)}   ${padCols(da, 12)} ${padCols(db, 12)} ${l}`);
  for (const r of [r32, r64]) {
    console.log(
      `${r.dtype.padEnd(9)} ${String(r.iterations).padStart(10)} ${r.lastChange.toExponential(2).padStart(18)} ${Math.abs(
        r.a - gd.data.exact.a,
      )
        .toExponential(2)
        .padStart(10)} ${Math.abs(r.b - gd.data.exact.b)
        .toExponential(2)
        .padStart(12)} ${r.loss.toExponential(10)}`,
    );
  }
  const ulp = 2 ** (Math.floor(Math.log2(r32.loss)) - 23);
  console.log(
    m.precisionWhy({
      n32: r32.iterations,
      loss: r32.loss.toExponential(3),
      ulp: ulp.toExponential(1),
      ulp64: (ulp / 2 ** 29).toExponential(1),
      n64: r64.iterations,
      closer: (Math.abs(r32.a - gd.data.exact.a) / Math.abs(r64.a - gd.data.exact.a)).toFixed(0),
    }),
  );
}

heading(m.h3);
const sg = sgdLesson(seed);
console.log(m.gdLine(sparkline(sg.gd.losses), f(sg.gd.loss)));
console.log(m.sgdLine(sparkline(sg.sgd.losses), f(sg.sgd.loss)));
console.log(m.sgdWander(f(sg.sgd.a), f(sg.sgd.b)));

heading(m.h4);
const bp = backpropLesson(seed);
for (const l of bp.layers) {
  const g = l.grad ? `  ${m.grad} [${l.grad.map((v) => f(v)).join(', ')}]` : '';
  console.log(`${padCols(m.layerName(l.name), 14)} [${l.shape.join('×')}] ${m.value} [${l.value.map((v) => f(v)).join(', ')}]${g}`);
}
console.log(m.gradcheck(f(bp.loss, 6), bp.gradcheck.ok ? m.ok : m.failed, bp.gradcheck.maxRelError.toExponential(2)));
console.log(m.gradcheck32(bp.gradcheckFloat32.ok ? m.ok : m.failed, bp.gradcheckFloat32.maxRelError.toExponential(2)));

curvatureSection({ seed, heading, m, f });

if (args.model === 'cnn') await cnnDigitsSection({ seed, epochs, optimizer, out: args.out, heading, m });
else if (args.model === 'poem') await poemSection({ seed, epochs, out: args.out, poems: args.poems, heading, m });
else await mlpDigitsSection();

async function mlpDigitsSection(): Promise<void> {
  heading(m.h5);
  const data = loadDigits(seed);
  console.log(m.split(seed, data.xTrain.shape[0]!, data.xTest.shape[0]!));
  const bar = trainingBar(m.bar);
  const t0 = performance.now();
  const trained = trainDigits(data, {
    seed,
    epochs,
    optimizer,
    onStep: (step, total) => bar.step(step, total),
    onEpoch: ({ epoch, loss }) => bar.set({ epoch: Math.min(epoch + 2, epochs), loss: f(loss) }),
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  console.log(m.mlpModel(trained.sizes.join('-'), epochs, trained.result.iterations, seconds.toFixed(1)));
  console.log(m.trainAccuracy((trained.trainAccuracy * 100).toFixed(2)));
  console.log(m.heldOut((trained.testAccuracy * 100).toFixed(2)));

  await saveSafetensorsFile(args.out, trained.model, { metadata: { format: 'pt', sizes: trained.sizes.join(','), seed: String(seed) } });
  const reloaded = mlp(trained.sizes, { activation: 'relu' }).eval();
  await loadSafetensorsFile(reloaded, args.out);
  const again = accuracy(reloaded, data.xTest, data.yTest);
  console.log(m.reloaded(args.out, (again * 100).toFixed(2)));
  if (again !== trained.testAccuracy) {
    console.error(m.reloadDisagrees);
    process.exitCode = 1;
  }
  await reportOnnxAgreement(trained.model, data, args.out, trained.testAccuracy, { m });
}
console.log(`\n${m.done(((performance.now() - started) / 1000).toFixed(1))}`);
