// `pnpm start --model cnn`: the digits section of the main job with LeNet-5 instead of the MLP.

import { cnnAccuracy, lenet, trainDigitsCnn } from '@gd/lessons';
import { loadDigits } from '@gd/lessons/mnist';
import { loadSafetensorsFile, saveSafetensorsFile } from '@gd/nn/node';
import { SingleBar } from 'cli-progress';
import { reportOnnxAgreement } from './onnx.js';

/** Epochs of the CNN when --epochs is not given. */
export const CNN_EPOCHS = 12;

/**
 * Trains, reports, saves and reloads the CNN, and exports it to ONNX; sets a failing exit code if
 * the reload or ONNX Runtime disagrees.
 */
export async function cnnDigitsSection(o: { seed: number; epochs: number; out: string; heading: (s: string) => void }): Promise<void> {
  const f = (x: number, d = 4) => x.toFixed(d);
  o.heading('5. A convolutional network (LeNet-5) trained on 10,000 real MNIST digits');
  const data = loadDigits(o.seed);
  console.log(`split (seed ${o.seed}): ${data.xTrain.shape[0]} training / ${data.xTest.shape[0]} held-out images, seen as 28×28`);
  const bar = new SingleBar({
    format: 'training |{bar}| {percentage}% | step {value}/{total} | epoch {epoch} loss {loss} | {duration}s',
    noTTYOutput: true,
    notTTYSchedule: 5000,
    hideCursor: true,
  });
  let barStarted = false;
  const t0 = performance.now();
  const trained = trainDigitsCnn(data, {
    seed: o.seed,
    epochs: o.epochs,
    onStep: (step, total) => {
      if (!barStarted) {
        bar.start(total, 0, { epoch: 1, loss: '-' });
        barStarted = true;
      }
      bar.update(step);
    },
    onEpoch: ({ epoch, loss }) => bar.update({ epoch: Math.min(epoch + 2, o.epochs), loss: f(loss) }),
  });
  if (barStarted) bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const steps = trained.result.iterations;
  console.log(
    `model LeNet-5 (conv 5×5 1→8, pool, conv 5×5 8→16, pool, 400-120-84-10), Adam + cosine schedule, random 1-pixel shifts, ${o.epochs} epochs, ` +
      `${steps} steps of 32 in ${seconds.toFixed(1)} s (${Math.round((steps * 32) / seconds)} samples/s)`,
  );
  console.log(`train accuracy ${(trained.trainAccuracy * 100).toFixed(2)}%`);
  console.log(`held-out accuracy ${(trained.testAccuracy * 100).toFixed(2)}%`);
  await saveSafetensorsFile(o.out, trained.model, { metadata: { format: 'pt', model: 'lenet5', seed: String(o.seed) } });
  const reloaded = lenet().eval();
  await loadSafetensorsFile(reloaded, o.out);
  const again = cnnAccuracy(reloaded, data.xTest, data.yTest);
  console.log(`saved ${o.out}; reloaded into a fresh model: held-out accuracy ${(again * 100).toFixed(2)}%`);
  if (again !== trained.testAccuracy) {
    console.error('the reloaded model disagrees with the trained one');
    process.exitCode = 1;
  }
  await reportOnnxAgreement(trained.model, data, o.out, trained.testAccuracy, { sample: [1, 28, 28], batch: 500 });
}
