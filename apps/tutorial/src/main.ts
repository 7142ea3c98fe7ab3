// `pnpm start`: the tutorial end to end in the terminal, with the real packages.
import { parseArgs } from 'node:util';
import { accuracy, backpropLesson, gradientDescentLesson, informationLesson, sgdLesson, trainDigits } from '@gd/lessons';
import { loadDigits } from '@gd/lessons/mnist';
import { mlp } from '@gd/nn';
import { loadSafetensorsFile, saveSafetensorsFile } from '@gd/nn/node';
import { ready } from '@gd/tensor';
import { SingleBar } from 'cli-progress';
import { CNN_EPOCHS, cnnDigitsSection } from './cnn-section.js';
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
    out: { type: 'string', default: 'model.safetensors' },
    poems: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: pnpm start [--model mlp|cnn|poem] [--seed N] [--epochs N] [--out model.safetensors] [--poems N]');
  process.exit(0);
}
if (args.model !== 'mlp' && args.model !== 'cnn' && args.model !== 'poem') {
  console.error(`--model must be mlp, cnn or poem, got ${args.model}`);
  process.exit(2);
}
const seed = Number(args.seed);
const epochs = Number(args.epochs ?? (args.model === 'cnn' ? CNN_EPOCHS : args.model === 'poem' ? POEM_EPOCHS : 12));
for (const [k, v] of [
  ['seed', seed],
  ['epochs', epochs],
] as const) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${k} must be a non-negative integer, got ${String(args[k])}`);
    process.exit(2);
  }
}
const f = (x: number, d = 4) => (Math.abs(x) >= 1e6 ? x.toExponential(2) : x.toFixed(d));
const heading = (s: string) => console.log(`\n━━ ${s} ${'━'.repeat(Math.max(0, 74 - s.length))}`);

await ready();
const started = performance.now();

heading('1. Information and entropy (§1.2)');
for (const r of informationLesson()) {
  console.log(`${r.name.padEnd(10)} p = [${r.p.map((v) => f(v, 3)).join(', ')}]`);
  console.log(
    `${''.padEnd(10)} I(x) = [${r.bits.map((v) => f(v, 3)).join(', ')}] bits   H = ${f(r.entropy)} bits   max log2 N = ${f(r.maximum)}`,
  );
}

heading('2. Gradient descent on a line fit y = a·x + b, MSE (§2.2, §2.3)');
const gd = gradientDescentLesson(seed);
console.log(`data: 100 points around y = 2x + 1; least squares gives a = ${f(gd.data.exact.a)}, b = ${f(gd.data.exact.b)}`);
console.log('criterion              stop reason      iterations        a         b        loss');
for (const r of gd.runs) {
  console.log(
    `${r.criterion.padEnd(22)} ${r.reason.padEnd(16)} ${String(r.iterations).padStart(10)} ${f(r.a).padStart(9)} ${f(r.b).padStart(9)} ${r.loss.toExponential(4).padStart(11)}`,
  );
}

{
  const { float32: r32, float64: r64 } = gd.precision;
  console.log('\nthe loss-tolerance criterion (loss change < 1e-10) in float32 and in float64:');
  console.log('dtype     iterations   last loss change   |a − a*|     |b − b*|     loss');
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
    `float32 stops at ${r32.iterations} because the loss stops changing at all: near ${r32.loss.toExponential(3)} neighbouring float32 ` +
      `numbers are ${ulp.toExponential(1)} apart, so no change smaller than that can be represented, and 1e-10 is met by rounding, ` +
      `not by convergence. float64 (spacing ${(ulp / 2 ** 29).toExponential(1)}) keeps descending until the change really is below ` +
      `1e-10, at ${r64.iterations}, ${(Math.abs(r32.a - gd.data.exact.a) / Math.abs(r64.a - gd.data.exact.a)).toFixed(0)}× closer to the least-squares a.`,
  );
}

heading('3. Minibatch SGD against full-batch GD (§2.4)');
const sg = sgdLesson(seed);
console.log(`GD,  40 steps of 100 points: ${sparkline(sg.gd.losses)}  final loss ${f(sg.gd.loss)}`);
console.log(`SGD, 40 steps of 10 points:  ${sparkline(sg.sgd.losses)}  final loss ${f(sg.sgd.loss)}`);
console.log(`SGD's steps wander (the drunkard's walk) but head the same way: a = ${f(sg.sgd.a)}, b = ${f(sg.sgd.b)}`);

heading('4. Backpropagation through a 2-3-1 sigmoid network (§2.5)');
const bp = backpropLesson(seed);
for (const l of bp.layers) {
  const g = l.grad ? `  grad [${l.grad.map((v) => f(v)).join(', ')}]` : '';
  console.log(`${l.name.padEnd(14)} [${l.shape.join('×')}] value [${l.value.map((v) => f(v)).join(', ')}]${g}`);
}
console.log(
  `loss ${f(bp.loss, 6)}; gradcheck against finite differences in float64: ${bp.gradcheck.ok ? 'ok' : 'FAILED'} (max relative error ${bp.gradcheck.maxRelError.toExponential(2)})`,
);
console.log(
  `the same check in float32: ${bp.gradcheckFloat32.ok ? 'ok' : 'FAILED'} (max relative error ${bp.gradcheckFloat32.maxRelError.toExponential(2)}: ` +
    'float32 finite differences cannot resolve more digits, so only float64 shows the chain rule agreeing to many of them)',
);

if (args.model === 'cnn') await cnnDigitsSection({ seed, epochs, out: args.out, heading });
else if (args.model === 'poem') await poemSection({ seed, epochs, out: args.out, poems: args.poems, heading });
else await mlpDigitsSection();

async function mlpDigitsSection(): Promise<void> {
  heading('5. A network trained on 10,000 real MNIST digits');
  const data = loadDigits(seed);
  console.log(`split (seed ${seed}): ${data.xTrain.shape[0]} training / ${data.xTest.shape[0]} held-out images`);
  const bar = new SingleBar({
    format: 'training |{bar}| {percentage}% | step {value}/{total} | epoch {epoch} loss {loss} | {duration}s',
    noTTYOutput: true,
    notTTYSchedule: 5000,
    hideCursor: true,
  });
  let barStarted = false;
  const t0 = performance.now();
  const trained = trainDigits(data, {
    seed,
    epochs,
    onStep: (step, total) => {
      if (!barStarted) {
        bar.start(total, 0, { epoch: 1, loss: '-' });
        barStarted = true;
      }
      bar.update(step);
    },
    onEpoch: ({ epoch, loss }) => bar.update({ epoch: Math.min(epoch + 2, epochs), loss: f(loss) }),
  });
  if (barStarted) bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `model ${trained.sizes.join('-')}, Adam + cosine schedule, ${epochs} epochs, ${trained.result.iterations} steps in ${seconds.toFixed(1)} s`,
  );
  console.log(`train accuracy ${(trained.trainAccuracy * 100).toFixed(2)}%`);
  console.log(`held-out accuracy ${(trained.testAccuracy * 100).toFixed(2)}%`);

  await saveSafetensorsFile(args.out, trained.model, { metadata: { format: 'pt', sizes: trained.sizes.join(','), seed: String(seed) } });
  const reloaded = mlp(trained.sizes, { activation: 'relu' }).eval();
  await loadSafetensorsFile(reloaded, args.out);
  const again = accuracy(reloaded, data.xTest, data.yTest);
  console.log(`saved ${args.out}; reloaded into a fresh model: held-out accuracy ${(again * 100).toFixed(2)}%`);
  if (again !== trained.testAccuracy) {
    console.error('the reloaded model disagrees with the trained one');
    process.exitCode = 1;
  }
  await reportOnnxAgreement(trained.model, data, args.out, trained.testAccuracy);
}
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
