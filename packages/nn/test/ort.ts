// ONNX Runtime against gd, shared by the export tests: run exported bytes, run the model, compare.
import { randn, scope, type Tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { Module } from '../src/index.js';
import { toOnnx } from '../src/onnx.js';

/** Runs exported bytes on ONNX Runtime, every graph optimisation on, and returns the output. */
export async function runOrt(bytes: Uint8Array, x: Tensor): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const input =
    x.dtype === 'int32'
      ? new ort.Tensor('int32', Int32Array.from(x.data()), [...x.shape])
      : new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]);
  const { output } = await session.run({ input });
  await session.release();
  return { dims: output!.dims, data: output!.data as Float32Array };
}

/** gd's output of the model (in whatever mode it is in). */
export const gdForward = (model: Module, x: Tensor) =>
  scope(() => {
    const y = model.forward(x);
    return { dims: [...y.shape], data: Float32Array.from(y.value.data()) };
  });

/** The largest |a − b| over two arrays of one length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Options of agreement. */
export interface AgreementOptions {
  /** The second batch size tried with the symbolic batch (default 5). */
  batch?: number;
  /** The opset to export with (default toOnnx's). */
  opset?: number;
  /** The input of a batch of n (default randn of [n, ...sample]). */
  input?: (n: number) => Tensor;
}

/**
 * Exports with a symbolic batch and checks ORT against gd (eval mode) at batch 1 and `batch`;
 * also exports with a fixed batch of 1 and checks that too. Returns the largest difference seen.
 */
export async function agreement(model: Module, sample: readonly number[], options: AgreementOptions = {}): Promise<number> {
  const { batch = 5, opset, input = (n: number) => randn([n, ...sample]) } = options;
  model.eval();
  let worst = 0;
  const dynamic = toOnnx(model, { inputShape: [1, ...sample], dynamicBatch: true, opset });
  const fixed = toOnnx(model, { inputShape: [1, ...sample], opset });
  for (const [bytes, n] of [
    [dynamic, 1],
    [dynamic, batch],
    [fixed, 1],
  ] as const) {
    const x = input(n);
    const want = gdForward(model, x);
    const got = await runOrt(bytes, x);
    expect(got.dims).toEqual(want.dims);
    worst = Math.max(worst, maxAbsDiff(got.data, want.data));
    x.dispose();
  }
  return worst;
}
