// `pnpm start --model cnn`: the digits section of the main job with LeNet-5 instead of the MLP.

import { cnnAccuracy, lenet, trainDigitsCnn } from '@gd/lessons';
import { loadDigits } from '@gd/lessons/mnist';
import { trainingBar } from '@gd/lessons/progress';
import { loadSafetensorsFile, saveSafetensorsFile } from '@gd/nn/node';
import type { OptimizerName } from '@gd/optim';
import type { Messages } from './messages.js';
import { reportOnnxAgreement } from './onnx.js';

/** Epochs of the CNN when --epochs is not given. */
export const CNN_EPOCHS = 12;

/**
 * Trains, reports, saves and reloads the CNN, and exports it to ONNX; sets a failing exit code if
 * the reload or ONNX Runtime disagrees.
 */
export async function cnnDigitsSection(o: {
  seed: number;
  epochs: number;
  /** the optimizer's name in @gd/optim's registry */
  optimizer: OptimizerName;
  out: string;
  heading: (s: string) => void;
  /** the words of the tour, in its language */
  m: Messages;
}): Promise<void> {
  const m = o.m;
  const f = (x: number, d = 4) => x.toFixed(d);
  o.heading(m.h5cnn);
  const data = loadDigits(o.seed);
  console.log(m.splitCnn(o.seed, data.xTrain.shape[0]!, data.xTest.shape[0]!));
  const bar = trainingBar(m.bar);
  const t0 = performance.now();
  const trained = trainDigitsCnn(data, {
    seed: o.seed,
    epochs: o.epochs,
    optimizer: o.optimizer,
    onStep: (step, total) => bar.step(step, total),
    onEpoch: ({ epoch, loss }) => bar.set({ epoch: Math.min(epoch + 2, o.epochs), loss: f(loss) }),
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const steps = trained.result.iterations;
  console.log(m.cnnModel(o.epochs, steps, seconds.toFixed(1), Math.round((steps * 32) / seconds)));
  console.log(m.trainAccuracy((trained.trainAccuracy * 100).toFixed(2)));
  console.log(m.heldOut((trained.testAccuracy * 100).toFixed(2)));
  await saveSafetensorsFile(o.out, trained.model, { metadata: { format: 'pt', model: 'lenet5', seed: String(o.seed) } });
  const reloaded = lenet().eval();
  await loadSafetensorsFile(reloaded, o.out);
  const again = cnnAccuracy(reloaded, data.xTest, data.yTest);
  console.log(m.reloaded(o.out, (again * 100).toFixed(2)));
  if (again !== trained.testAccuracy) {
    console.error(m.reloadDisagrees);
    process.exitCode = 1;
  }
  await reportOnnxAgreement(trained.model, data, o.out, trained.testAccuracy, { sample: [1, 28, 28], batch: 500, m });
}
