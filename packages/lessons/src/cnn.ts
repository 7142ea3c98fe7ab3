// A LeNet-5-style convolutional network on the real digits: two 5×5 convolutions with max
// pooling, then three fully connected layers. It sees each 784-pixel row as a 28×28 image.
import type { Variable } from '@gd/autograd';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@gd/nn';
import type { OptimizerName } from '@gd/optim';
import { conv2d, type FloatDType, oneHot, randint } from '@gd/tensor';
import { manualSeed, type Tensor } from './gd.js';
import { accuracy, type DigitData, fitDigits } from './lessons.js';

/**
 * LeNet-5 for 28×28 digits: conv 5×5 1→8 (padding 2), ReLU, max-pool 2, conv 5×5 8→16, ReLU,
 * max-pool 2, flatten (16·5·5 = 400), then fully connected layers of the `hidden` widths with
 * ReLU between them, and 10 logits. The default is the classic 400→120→84→10. `dtype` is every
 * layer's (float64 trains the whole network in float64).
 */
export function lenet(hidden: readonly number[] = [120, 84], options: { dtype?: FloatDType } = {}): Sequential {
  const { dtype } = options;
  const widths = [400, ...hidden];
  const dense = widths.flatMap((w, i) => [new Linear(w, widths[i + 1] ?? 10, { dtype }), ...(i + 1 < widths.length ? [new ReLU()] : [])]);
  return new Sequential(
    new Conv2d(1, 8, 5, { padding: 2, dtype }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 5, { dtype }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    ...dense,
  );
}

/** Rows of 784 pixels as [batch, 1, 28, 28] images (a view, no copy). */
function images(x: Tensor): Tensor {
  return x.reshape([-1, 1, 28, 28]);
}

/**
 * Shifts each image of a batch [B, 1, 28, 28] by its own random offset of up to `max` pixels
 * each way (zeros come in at the edges): a grouped convolution whose per-image kernel is a
 * single 1 at a random tap. Seeded by manualSeed like every random op.
 */
export function randomShift(x: Tensor, max: number): Tensor {
  const b = x.shape[0]!;
  const k = 2 * max + 1;
  const kernels = oneHot(randint(0, k * k, [b]), k * k).reshape([b, 1, k, k]);
  return conv2d(x.reshape([1, b, 28, 28]), kernels, undefined, { padding: max, groups: b }).reshape([b, 1, 28, 28]);
}

/** Share of images whose argmax matches the label: {@link accuracy} on rows seen as 28×28 images. */
export function cnnAccuracy(model: { forward(x: Tensor): Variable }, x: Tensor, y: Tensor, batch = 500): number {
  return accuracy(model, x, y, batch, images);
}

/** Options of trainDigitsCnn. */
export interface CnnOptions {
  /** Seeds the init, the shuffling and the shifts. */
  seed: number;
  /** Passes over the training images. */
  epochs: number;
  /** Images per step (default 32). */
  batchSize?: number;
  /** Adam's peak learning rate, annealed by a cosine schedule (default 3e-3). */
  lr?: number;
  /** Random shift of training images, in pixels each way (default 1; 0 turns it off). */
  augment?: number;
  /** Called after each epoch with its mean loss and the model being trained (to measure it between epochs). */
  onEpoch?: (e: { epoch: number; loss: number }, model: Sequential) => void;
  onStep?: (step: number, total: number) => void;
  /** The optimizer of @gd/optim's registry (default 'adam'). */
  optimizer?: OptimizerName;
}

/** Trains LeNet-5 on the digits with Adam and a cosine schedule; returns the model and accuracies. */
export function trainDigitsCnn(data: DigitData, o: CnnOptions) {
  manualSeed(o.seed);
  const model = lenet();
  const augment = o.augment ?? 1;
  const input = (x: Tensor) => (augment > 0 ? randomShift(images(x), augment) : images(x));
  const onEpoch = o.onEpoch;
  const result = fitDigits(
    model,
    data,
    { ...o, batchSize: o.batchSize ?? 32, lr: o.lr ?? 3e-3, onEpoch: onEpoch && ((e) => onEpoch(e, model)) },
    input,
  );
  return {
    model,
    result,
    testAccuracy: cnnAccuracy(model, data.xTest, data.yTest),
    trainAccuracy: cnnAccuracy(model, data.xTrain, data.yTrain),
  };
}
