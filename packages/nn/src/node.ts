/**
 * @gd/nn/node — file helpers for Node: save and load safetensors files, and save ONNX files.
 * Saving writes a temporary file beside the target, flushes it to disk and renames it over, so an
 * interrupted save never destroys the previous model; a temporary file left by a killed save is
 * removed by the next save of the same path. Loading reads the file in parts, so a model over
 * 2 GiB loads too.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Tensor, ValueError } from '@gd/tensor';
import { type AnyModule, markLoading } from './module.js';
import { type ToOnnxOptions, toOnnx } from './onnx.js';
import { optionsOf } from './options.js';
import { loadSteps, runLoad, SafetensorsError, saveSafetensors } from './safetensors.js';

// ── atomic writes ────────────────────────────────────────────────────────────

/** Temporary files this process is writing now (another save's are not stale). */
const writing = new Set<string>();

/** The temporary file of a save of `path`: hidden, beside it, named after this process. */
function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Whether process `pid` is gone (so a temporary file it named is left over). */
function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The temporary files of earlier saves of `path` in `names` (its folder's) that no live save owns. */
function staleTemporaries(path: string, names: string[]): string[] {
  const base = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\.${base}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  return names
    .filter((name) => {
      const m = pattern.exec(name);
      if (!m) return false;
      const full = join(dirname(path), name);
      return !writing.has(full) && (Number(m[1]) === process.pid || processGone(Number(m[1])));
    })
    .map((name) => join(dirname(path), name));
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk
 * (fsync), then renamed over `path`. Temporary files left by earlier saves of `path` that were
 * killed are removed first.
 *
 * @example
 * ```ts
 * await writeFileAtomic('model.safetensors', bytes);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  checkPath('writeFileAtomic', path);
  const names = await readdir(dirname(path)).catch(() => []);
  for (const stale of staleTemporaries(path, names)) await rm(stale, { force: true });
  const tmp = temporaryPath(path);
  writing.add(tmp);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    writing.delete(tmp);
  }
  await syncFolder(dirname(path));
}

/**
 * The synchronous writeFileAtomic(): temporary file, fsync, rename.
 *
 * @example
 * ```ts
 * writeFileAtomicSync('model.safetensors', bytes);
 * ```
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  checkPath('writeFileAtomicSync', path);
  let names: string[] = [];
  try {
    names = readdirSync(dirname(path));
  } catch {
    // the folder is missing: the open below says so
  }
  for (const stale of staleTemporaries(path, names)) rmSync(stale, { force: true });
  const tmp = temporaryPath(path);
  writing.add(tmp);
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 30));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    writing.delete(tmp);
  }
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every platform can flush a folder (Windows); the file itself is on disk
  }
}

/** Flushes a folder's entries (the rename) to disk where the platform allows it. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not every platform can flush a folder (Windows); the file itself is on disk
  }
}

function checkPath(op: string, path: unknown): void {
  if (typeof path !== 'string' || path.length === 0) throw new ValueError(`${op}: path must be a non-empty string, got ${String(path)}`);
}

// ── safetensors files ────────────────────────────────────────────────────────

/** Options of saveSafetensorsFile(). */
export interface SaveSafetensorsFileOptions {
  /** String → string metadata stored in the header. */
  metadata?: Record<string, string>;
}

/**
 * Saves a model (or name → Tensor record) to a safetensors file, atomically. The state is
 * serialised when called; the Promise settles when the file is on disk.
 *
 * @example
 * ```ts
 * await saveSafetensorsFile('model.safetensors', model);
 * ```
 */
export async function saveSafetensorsFile(
  path: string,
  source: AnyModule | Record<string, Tensor>,
  options: SaveSafetensorsFileOptions = {},
): Promise<void> {
  checkPath('saveSafetensorsFile', path);
  await writeFileAtomic(path, saveSafetensors(source, options));
}

/**
 * The synchronous saveSafetensorsFile(): the file is on disk when it returns.
 *
 * @example
 * ```ts
 * saveSafetensorsFileSync('model.safetensors', model);
 * ```
 */
export function saveSafetensorsFileSync(
  path: string,
  source: AnyModule | Record<string, Tensor>,
  options: SaveSafetensorsFileOptions = {},
): void {
  checkPath('saveSafetensorsFileSync', path);
  writeFileAtomicSync(path, saveSafetensors(source, options));
}

/** Options of loadSafetensorsFile(). */
export interface LoadSafetensorsFileOptions {
  /** The largest single read from the file, in bytes (default 64 MiB). */
  chunkBytes?: number;
}

const DEFAULT_CHUNK = 64 * 1024 * 1024;

function checkLoad(op: string, model: unknown, path: unknown, options: unknown): number {
  if (model === null || typeof model !== 'object' || typeof (model as AnyModule).stateDict !== 'function')
    throw new ValueError(`${op}: expected a Module to load into, got ${String(model)}`);
  checkPath(op, path);
  const chunk = optionsOf(op, options as LoadSafetensorsFileOptions, { chunkBytes: true }).chunkBytes ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > 2 ** 30)
    throw new ValueError(`${op}: chunkBytes must be an integer in [1, 2^30], got ${String(chunk)}`);
  return chunk;
}

function ended(op: string, path: string, at: number): SafetensorsError {
  return new SafetensorsError(`${op}: ${path} ended at byte ${at} while reading (was it changed during the load?)`);
}

/**
 * Loads a safetensors file into a model, reading it in parts (so a file over 2 GiB loads): the
 * header is checked against the model before any tensor is read, each tensor is read and
 * converted in turn, and the model is written only once all are, so on any error it is
 * unchanged. Until the Promise settles the model refuses to run forward (a StateError): await
 * it. Returns the file's metadata.
 *
 * @example
 * ```ts
 * await loadSafetensorsFile(model, 'model.safetensors');
 * ```
 */
export async function loadSafetensorsFile(
  model: AnyModule,
  path: string,
  options: LoadSafetensorsFileOptions = {},
): Promise<Record<string, string>> {
  const op = 'loadSafetensorsFile';
  const chunk = checkLoad(op, model, path, options);
  const release = markLoading(
    model,
    'a safetensors load into this model has not finished (loadSafetensorsFile returns a Promise: await it, or use loadSafetensorsFileSync)',
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const h = handle;
    const read = async (position: number, length: number) => {
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await h.read(out, done, Math.min(chunk, length - done), position + done);
        if (bytesRead === 0) throw ended(op, path, position + done);
        done += bytesRead;
      }
      return out;
    };
    // loadSteps with an async reader: each range it asks for is read, and a read's error thrown into it
    const steps = loadSteps(model, (await h.stat()).size, op);
    let step = steps.next();
    while (!step.done) {
      let bytes: Uint8Array;
      try {
        bytes = await read(...step.value);
      } catch (err) {
        steps.throw(err);
        throw err;
      }
      step = steps.next(bytes);
    }
    return step.value;
  } finally {
    release();
    await handle?.close();
  }
}

/**
 * The synchronous loadSafetensorsFile(): the model holds the file's values when it returns.
 *
 * @example
 * ```ts
 * loadSafetensorsFileSync(model, 'model.safetensors');
 * ```
 */
export function loadSafetensorsFileSync(model: AnyModule, path: string, options: LoadSafetensorsFileOptions = {}): Record<string, string> {
  const op = 'loadSafetensorsFileSync';
  const chunk = checkLoad(op, model, path, options);
  const fd = openSync(path, 'r');
  try {
    return runLoad(loadSteps(model, fstatSync(fd).size, op), (position, length) => {
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const bytesRead = readSync(fd, out, done, Math.min(chunk, length - done), position + done);
        if (bytesRead === 0) throw ended(op, path, position + done);
        done += bytesRead;
      }
      return out;
    });
  } finally {
    closeSync(fd);
  }
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
export async function saveOnnxFile(path: string, model: AnyModule, options: ToOnnxOptions): Promise<void> {
  await writeFileAtomic(path, toOnnx(model, options));
}
