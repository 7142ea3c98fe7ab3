// The trained digits model leaves gd: exported to ONNX and run by ONNX Runtime on the held-out
// digits, whose logits must match gd's to float32 rounding and whose predictions must be gd's.
import { stat } from 'node:fs/promises';
import { noGradScope } from '@gd/lessons';
import type { Module } from '@gd/nn';
import { saveOnnxFile } from '@gd/nn/node';
import type { Tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { en, type Messages } from './messages.js';

/** How ONNX Runtime's run of the exported model compares with gd's. */
export interface OnnxAgreement {
  /** The ONNX Runtime version that ran the model. */
  runtime: string;
  /** Size of the .onnx file in bytes. */
  bytes: number;
  /** max |logit_ORT − logit_gd| over every image and class. */
  maxAbsDiff: number;
  /** Held-out accuracy of ORT's and of gd's logits. */
  ortAccuracy: number;
  gdAccuracy: number;
  /** Images on which the two predict different digits. */
  disagreements: number;
}

const argmaxRows = (logits: ArrayLike<number>, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[r * cols + c]! > logits[r * cols + best]!) best = c;
    return best;
  });

/** Options of onnxAgreement. */
export interface OnnxAgreementOptions {
  /**
   * The shape of one input, as the model takes it: `[784]` for the MLP (the default, the rows of
   * x as they are), `[1, 28, 28]` for a CNN (each row of x seen as an image).
   */
  sample?: readonly number[];
  /** Images per gd forward pass (default all at once); ORT takes all at once. */
  batch?: number;
}

/**
 * Writes `model` (in eval mode) to `path` as ONNX with a symbolic batch, runs it with ONNX
 * Runtime (every graph optimisation on) on all of `x` at once, and compares with gd's forward.
 */
export async function onnxAgreement(
  model: Module,
  x: Tensor,
  y: Tensor,
  path: string,
  options: OnnxAgreementOptions = {},
): Promise<OnnxAgreement> {
  const [n, features] = x.shape as [number, number];
  const sample = options.sample ?? [features];
  const batch = options.batch ?? n;
  await saveOnnxFile(path, model, { inputShape: [1, ...sample], dynamicBatch: true });
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'all' });
  const { output } = await session.run({ input: new ort.Tensor('float32', new Float32Array(x.data()), [n, ...sample]) });
  await session.release();
  const theirs = output!.data as Float32Array;
  const ours = new Float32Array(theirs.length);
  const classes = ours.length / n;
  for (let i = 0; i < n; i += batch) {
    const rows = Math.min(batch, n - i);
    noGradScope(() => ours.set(model.forward(x.slice([i, 0], [rows, -1]).reshape([rows, ...sample])).value.data(), i * classes));
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < ours.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i]! - theirs[i]!));
  const labels = y.data();
  const a = argmaxRows(ours, n, classes);
  const b = argmaxRows(theirs, n, classes);
  const correct = (pred: number[]) => pred.filter((p, i) => p === labels[i]).length / n;
  const { size } = await stat(path);
  return {
    runtime: ort.env.versions.node ?? ort.env.versions.common,
    bytes: size,
    maxAbsDiff,
    ortAccuracy: correct(b),
    gdAccuracy: correct(a),
    disagreements: a.filter((p, i) => p !== b[i]).length,
  };
}

/**
 * Exports `model` next to the safetensors file `out` (same name, `.onnx`), prints ONNX Runtime's
 * agreement with gd on the held-out digits, and sets a failing exit code if the logits differ by
 * more than 1e-4 or ORT's accuracy is not `accuracy` (gd's).
 */
export async function reportOnnxAgreement(
  model: Module,
  data: { xTest: Tensor; yTest: Tensor },
  out: string,
  accuracy: number,
  options: OnnxAgreementOptions & { m?: Messages } = {},
): Promise<OnnxAgreement> {
  const m = options.m ?? en;
  const onnxPath = out.replace(/(\.safetensors)?$/, '.onnx');
  const onnx = await onnxAgreement(model, data.xTest, data.yTest, onnxPath, options);
  console.log(
    m.onnx({
      path: onnxPath,
      kib: (onnx.bytes / 1024).toFixed(0),
      runtime: onnx.runtime,
      n: data.xTest.shape[0]!,
      diff: onnx.maxAbsDiff.toExponential(2),
      ort: (onnx.ortAccuracy * 100).toFixed(2),
      gd: (onnx.gdAccuracy * 100).toFixed(2),
      differ: onnx.disagreements,
    }),
  );
  if (onnx.maxAbsDiff > 1e-4 || onnx.ortAccuracy !== accuracy) {
    console.error(m.onnxDisagrees);
    process.exitCode = 1;
  }
  return onnx;
}
