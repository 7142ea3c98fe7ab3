// The trained digits model leaves gd: exported to ONNX and run by ONNX Runtime on the held-out
// digits, whose logits must match gd's to float32 rounding and whose predictions must be gd's.
import { stat } from 'node:fs/promises';
import { noGradScope } from '@gd/lessons';
import type { Module } from '@gd/nn';
import { saveOnnxFile } from '@gd/nn/node';
import type { Tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';

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

/**
 * Writes `model` (in eval mode) to `path` as ONNX with a symbolic batch, runs it with ONNX
 * Runtime (every graph optimisation on) on all of `x` at once, and compares with gd's forward.
 */
export async function onnxAgreement(model: Module, x: Tensor, y: Tensor, path: string): Promise<OnnxAgreement> {
  const [n, features] = x.shape as [number, number];
  await saveOnnxFile(path, model, { inputShape: [1, features], dynamicBatch: true });
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'all' });
  const { output } = await session.run({ input: new ort.Tensor('float32', new Float32Array(x.data()), [n, features]) });
  await session.release();
  const ours = noGradScope(() => new Float32Array(model.forward(x).value.data()));
  const theirs = output!.data as Float32Array;
  const classes = ours.length / n;
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
