/**
 * @gd/nn/node — file helpers for Node: save and load safetensors files, and save ONNX files.
 * Saving writes a temporary file beside the target and renames it over, so an interrupted save
 * never destroys the previous model.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@gd/tensor';
import type { AnyModule, Module } from './module.js';
import { type ToOnnxOptions, toOnnx } from './onnx.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename.
 *
 * @example
 * ```ts
 * await writeFileAtomic('model.safetensors', bytes);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Saves a model (or name → Tensor record) to a safetensors file, atomically.
 *
 * @example
 * ```ts
 * await saveSafetensorsFile('model.safetensors', model);
 * ```
 */
export async function saveSafetensorsFile(
  path: string,
  source: AnyModule | Record<string, Tensor>,
  options: { metadata?: Record<string, string> } = {},
): Promise<void> {
  await writeFileAtomic(path, saveSafetensors(source, options));
}

/**
 * Loads a safetensors file into a model (validated first; the model is unchanged on error).
 *
 * @example
 * ```ts
 * await loadSafetensorsFile(model, 'model.safetensors');
 * ```
 */
export async function loadSafetensorsFile(model: AnyModule, path: string): Promise<Record<string, string>> {
  const bytes = await readFile(path);
  return loadSafetensors(model, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * Exports a model to an ONNX file (see `toOnnx` in `@gd/nn/onnx`), atomically. The model is
 * checked and serialised before the file is touched, so an export error leaves any previous
 * file as it was.
 *
 * @example
 * ```ts
 * await saveOnnxFile('model.onnx', model, { inputShape: [1, 784], dynamicBatch: true });
 * ```
 */
export async function saveOnnxFile(path: string, model: Module, options: ToOnnxOptions): Promise<void> {
  await writeFileAtomic(path, toOnnx(model, options));
}
